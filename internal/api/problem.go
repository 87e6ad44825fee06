package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/hookline/hookline/internal/webhook"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Field names the offending request field, when there is one.
	Field string `json:"field,omitempty"`
	// RequestID matches the server's log line for this request.
	RequestID string `json:"request_id,omitempty"`
}

// WriteError renders err as problem JSON. Errors that are not a
// *webhook.Error are internal: logged once here, shown as "internal error".
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *webhook.Error
	p := Problem{Instance: r.URL.Path, RequestID: RequestID(r.Context())}
	if errors.As(err, &e) {
		p.Status = webhook.HTTPStatus(e.Code)
		p.Detail = e.Message
		if e.Field != "" {
			p.Field = e.Field
			p.Detail = e.Field + ": " + e.Message
		}
		if e.Code == webhook.EUNAVAILABLE {
			log.Warn("service unavailable", "err", err, "request_id", p.RequestID)
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
	WriteProblem(w, p)
}

// WriteProblem writes p with its status.
func WriteProblem(w http.ResponseWriter, p Problem) {
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

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, Problem{Status: http.StatusInternalServerError, Detail: "internal error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func asErr(err error, target **webhook.Error) bool { return errors.As(err, target) }
