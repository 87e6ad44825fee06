// Package problem writes RFC 9457 problem details, the body of every error
// answer of the REST API (and of the server's own last-resort 500). It is
// the one place where an application error becomes an HTTP status and a
// message: known *webhook.Error codes map to 4xx/503 with their safe
// message; anything else is an internal error, logged once here and shown
// without its text.
package problem

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/hookline/hookline/internal/reqid"
	"github.com/hookline/hookline/internal/webhook"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Field names the offending request field, when there is one; with
	// several, the first of Errors (which Detail describes too).
	Field string `json:"field,omitempty"`
	// Errors lists every bad part of the request, when there are any.
	Errors []Item `json:"errors,omitempty"`
	// RequestID matches the server's log line for this request.
	RequestID string `json:"request_id,omitempty"`
}

// Item is one entry of a problem's errors member: one bad part of the
// request, located by exactly one of Pointer and Parameter.
type Item struct {
	// Pointer is an RFC 6901 JSON pointer into the request body: "/url",
	// "/events/2", "/headers/X-Foo".
	Pointer string `json:"pointer,omitempty"`
	// Parameter names a query parameter.
	Parameter string `json:"parameter,omitempty"`
	// Detail says what is wrong there, without naming the place.
	Detail string `json:"detail"`
}

// items returns the errors member for e's field problems; nil when e is
// about no field.
func items(e *webhook.Error) []Item {
	ps := e.Problems()
	if len(ps) == 0 {
		return nil
	}
	out := make([]Item, len(ps))
	for i, p := range ps {
		out[i] = Item{Pointer: p.Pointer, Parameter: p.Parameter, Detail: p.Message}
	}
	return out
}

// WriteError renders err as problem JSON. Errors that are not a
// *webhook.Error are internal: logged once here, shown as "internal error".
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := Problem{Instance: r.URL.Path, RequestID: reqid.From(r.Context())}
	if e, ok := errors.AsType[*webhook.Error](err); ok {
		p.Status = webhook.HTTPStatus(e.Code)
		p.Detail = e.Message
		if e.Field != "" {
			p.Field = e.Field
			p.Detail = e.Field + ": " + e.Message
		}
		p.Errors = items(e)
		if e.Code == webhook.EUNAVAILABLE {
			WarnUnavailable(log, err, p.RequestID)
			w.Header().Set("Retry-After", "1")
			p.Detail = "storage is unavailable; try again shortly"
		}
	} else {
		p.Status = http.StatusInternalServerError
		p.Detail = "internal error"
		log.Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", p.RequestID)
	}
	p.Title = http.StatusText(p.Status)
	p.Type = "about:blank"
	Write(w, p)
}

// Write writes p with its status; an empty Type or Title gets the RFC's
// defaults ("about:blank" and the status text).
func Write(w http.ResponseWriter, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	b, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(p.Status)
	w.Write(b)
}
