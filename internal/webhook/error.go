package webhook

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an application error; the API maps each code to one HTTP
// status in one place.
type Code string

// Error codes.
const (
	ECONFLICT      Code = "conflict"      // 409: the resource already exists
	EINVALID       Code = "invalid"       // 400: malformed request
	EUNPROCESSABLE Code = "unprocessable" // 422: well-formed but not acceptable
	ENOTFOUND      Code = "not_found"     // 404
	ETOOLARGE      Code = "too_large"     // 413
	EUNAVAILABLE   Code = "unavailable"   // 503: storage down or shutting down
	EUNAUTHORIZED  Code = "unauthorized"  // 401: no valid credentials
	EFORBIDDEN     Code = "forbidden"     // 403: valid credentials, not allowed
	ERATELIMITED   Code = "rate_limited"  // 429
	ELOOP          Code = "loop_detected" // 508: relayed by Hookline too often
	EINTERNAL      Code = "internal"      // 500: never shown in detail
)

// Error is an error meant for the user: its Message is safe to show. Field,
// when set, names the offending input field (JSON path-ish, e.g. "events[2]").
// An Error made by a Validation reports several fields: Problems lists
// them all, and Code, Field and Message are the first one's.
type Error struct {
	Code    Code
	Field   string
	Message string

	// problems are every field problem, when a Validation found them.
	problems []FieldProblem
}

// Error returns "code: field: message", with "; field: message" for each
// further problem.
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	s := fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	for i, p := range e.problems {
		if i > 0 {
			s += "; " + p.Field + ": " + p.Message
		}
	}
	return s
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an *Error about one input field.
func FieldError(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by stores for a missing row; wrap-compatible with
// ErrorCode.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// HTTPStatus is the one mapping of error codes to HTTP statuses, used by
// the API and the dashboard alike.
func HTTPStatus(c Code) int {
	switch c {
	case EINVALID:
		return http.StatusBadRequest
	case EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case ENOTFOUND:
		return http.StatusNotFound
	case ECONFLICT:
		return http.StatusConflict
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EFORBIDDEN:
		return http.StatusForbidden
	case ERATELIMITED:
		return http.StatusTooManyRequests
	case ELOOP:
		return http.StatusLoopDetected
	}
	return http.StatusInternalServerError
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
