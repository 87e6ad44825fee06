package client

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is an error answer from the server: its RFC 9457 problem document
// plus what the client knows about the request. Every non-2xx answer is
// returned as an *Error, also when the body is not problem JSON (a proxy's
// HTML error page, say): then Title is the status text and Detail a short
// excerpt of the body.
//
//	var e *client.Error
//	if errors.As(err, &e) {
//		for _, p := range e.Errors {
//			fmt.Printf("fix %s: %s\n", p.Pointer, p.Detail)
//		}
//	}
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Type is the problem type URI; Hookline always sends "about:blank".
	Type string `json:"type"`
	// Title is the status text, e.g. "Not Found".
	Title string `json:"title"`
	// Detail says what went wrong and is safe to show. When Field is set it
	// starts with the field name, as "events[1]: unknown event type".
	Detail string `json:"detail"`
	// Instance is the request path the problem is about.
	Instance string `json:"instance"`
	// Field names the offending request field when there is one: "name",
	// "events[2]", "headers.X-Foo", "data.customer.email". With several,
	// it is the first of Errors, which Detail describes too.
	Field string `json:"field"`
	// Errors lists every bad part of the request, in the order the server
	// found them, whenever Field is set: a request with a bad url and an
	// empty name hears about both at once.
	Errors []FieldProblem `json:"errors"`
	// RequestID matches the server's log line for the request (also in the
	// X-Request-Id header); quote it when reporting a problem.
	RequestID string `json:"request_id"`

	// RetryAfter is the wait the server asked for with Retry-After (on 429
	// and 503); zero when it sent none.
	RetryAfter time.Duration `json:"-"`
	// Method and Path are the request that failed.
	Method string `json:"-"`
	Path   string `json:"-"`
}

// FieldProblem is one bad part of a request, an item of a problem's
// errors member: where it is, by exactly one of Pointer and Parameter,
// and what is wrong there.
type FieldProblem struct {
	// Pointer is an RFC 6901 JSON pointer into the request body: "/url",
	// "/events/2", "/headers/X-Foo", "/data/customer/email".
	Pointer string `json:"pointer,omitempty"`
	// Parameter names a query parameter, such as "limit".
	Parameter string `json:"parameter,omitempty"`
	// Detail says what is wrong there, without naming the place.
	Detail string `json:"detail"`
}

// Place is the pointer, or the parameter as "?name".
func (p FieldProblem) Place() string {
	if p.Parameter != "" {
		return "?" + p.Parameter
	}
	return p.Pointer
}

// Error returns "hookline: METHOD PATH: STATUS TITLE: DETAIL"; with
// several Errors, DETAIL is all of them as "PLACE: DETAIL; …".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hookline: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	b.WriteString(strconv.Itoa(e.Status))
	if e.Title != "" {
		b.WriteString(" " + e.Title)
	}
	switch {
	case len(e.Errors) > 1:
		b.WriteString(":")
		for i, p := range e.Errors {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" " + p.Place() + ": " + p.Detail)
		}
	case e.Detail != "":
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// Message returns the part of Detail after the field name, or Detail when
// the problem names no field: "unknown event type" rather than
// "events[1]: unknown event type".
func (e *Error) Message() string {
	if e.Field != "" {
		if rest, ok := strings.CutPrefix(e.Detail, e.Field+": "); ok {
			return rest
		}
	}
	return e.Detail
}

// newError builds the *Error of a non-2xx response whose body is data.
func newError(method, path string, resp *http.Response, data []byte) *Error {
	e := &Error{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isJSON := mt == "application/problem+json" || mt == "application/json"
	if !isJSON || json.Unmarshal(data, e) != nil {
		*e = Error{Detail: excerpt(data)}
	}
	// The status line is the truth; a body's status field could disagree
	// (or be absent in a proxy's JSON).
	e.Status = resp.StatusCode
	if e.Title == "" {
		e.Title = http.StatusText(resp.StatusCode)
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	e.Method, e.Path = method, path
	return e
}

// excerpt returns the start of a non-problem body as one line of text.
func excerpt(data []byte) string {
	const max = 200
	if !utf8.Valid(data) {
		return ""
	}
	s := strings.Join(strings.Fields(string(data)), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// StatusCode returns the HTTP status of the first *Error in err's chain, or
// 0 when err did not come from a server answer.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is a 404 answer: no such webhook, event,
// delivery, event type or key.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is a 401 answer: the API key is
// missing, unknown, revoked or expired.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403 answer: the key is valid but its
// scopes do not allow the route (a publish key calling an admin route).
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsConflict reports whether err is a 409 answer, such as an event type
// slug that already exists or a delivery being attempted right now.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsInvalid reports whether err is a 400 or 422 answer: the request was
// malformed or not acceptable. The *Error's Field names the culprit.
func IsInvalid(err error) bool {
	s := StatusCode(err)
	return s == http.StatusBadRequest || s == http.StatusUnprocessableEntity
}

// IsRateLimited reports whether err is a 429 answer; the *Error's
// RetryAfter says how long to wait.
func IsRateLimited(err error) bool { return StatusCode(err) == http.StatusTooManyRequests }

// compile-time check that *Error is an error.
var _ error = (*Error)(nil)
