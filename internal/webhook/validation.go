package webhook

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Loc is where in a request a problem is: a place in its JSON body, or a
// query parameter. It is built with At (or Param) and Key and Index, and
// renders the place both ways the API reports it: as an RFC 6901 JSON
// pointer ("/events/2") and as the dotted path of the problem's field
// member ("events[2]").
type Loc struct {
	// Field is the dotted path: "name", "events[2]", "headers.X-Foo".
	Field string
	// Pointer is the RFC 6901 JSON pointer into the request body: "/name",
	// "/events/2", "/headers/X-Foo". Empty for a query parameter.
	Pointer string
	// Parameter names the query parameter; empty for a body field.
	Parameter string
}

// At is the top-level member name of a request body.
func At(name string) Loc {
	return Loc{Field: name, Pointer: "/" + escapePointer(name)}
}

// Param is the query parameter name.
func Param(name string) Loc {
	return Loc{Field: name, Parameter: name}
}

// Key is member k of the object at l.
func (l Loc) Key(k string) Loc {
	return Loc{Field: l.Field + "." + k, Pointer: l.Pointer + "/" + escapePointer(k)}
}

// Index is element i of the array at l.
func (l Loc) Index(i int) Loc {
	n := strconv.Itoa(i)
	return Loc{Field: l.Field + "[" + n + "]", Pointer: l.Pointer + "/" + n}
}

// escapePointer escapes a JSON pointer reference token (RFC 6901 section 3).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// fieldLoc reads a dotted path as FieldError's callers write it ("data",
// "events[2]", "data.items[0].sku", `data["odd key"]`) into a Loc. Paths
// whose keys hold dots or brackets cannot be read back; callers with such
// keys build their Loc with Key instead.
func fieldLoc(field string) Loc {
	var ptr strings.Builder
	rest := field
	for rest != "" {
		var tok string
		switch {
		case strings.HasPrefix(rest, `["`):
			q, err := strconv.QuotedPrefix(rest[1:])
			if err != nil || !strings.HasPrefix(rest[1+len(q):], "]") {
				tok, rest = rest, ""
				break
			}
			tok, _ = strconv.Unquote(q)
			rest = rest[1+len(q)+1:]
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				tok, rest = rest, ""
				break
			}
			tok, rest = rest[1:end], rest[end+1:]
		default:
			rest = strings.TrimPrefix(rest, ".")
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			tok, rest = rest[:end], rest[end:]
		}
		ptr.WriteString("/" + escapePointer(tok))
	}
	return Loc{Field: field, Pointer: ptr.String()}
}

// FieldProblem is one thing wrong with one part of a request.
type FieldProblem struct {
	Loc
	// Code is what kind of problem it is: EINVALID for a malformed value,
	// EUNPROCESSABLE for a well-formed one that cannot be accepted (an
	// unknown event type, a refused destination).
	Code Code
	// Message says what is wrong, without the field name; safe to show.
	Message string
}

// Validation collects every problem with a request, so that a client
// hears about all of them in one answer instead of fixing one field per
// round trip. The zero value is ready to use. A check of a new field is
// one Add (or one Merge of a check that returns an error):
//
//	var v webhook.Validation
//	if name == "" {
//		v.Add(webhook.EINVALID, webhook.At("name"), "is required")
//	}
//	if err := v.Merge(checkURL(u)); err != nil {
//		return err // not about a field: storage failed, say
//	}
//	return v.Err()
type Validation struct {
	problems []FieldProblem
}

// Add records a problem at at.
func (v *Validation) Add(code Code, at Loc, format string, args ...any) {
	v.problems = append(v.problems, FieldProblem{Loc: at, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Merge records the field problems of err, the result of a check that
// reports them as an *Error, and returns nil. Any other error (nil, or
// one about no field: storage failed, not found) is returned unchanged
// for the caller to return at once.
func (v *Validation) Merge(err error) error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return err
	}
	ps := e.Problems()
	if len(ps) == 0 {
		return err
	}
	v.problems = append(v.problems, ps...)
	return nil
}

// Len returns how many problems v holds.
func (v *Validation) Len() int { return len(v.problems) }

// Err returns nil when v holds no problem, else an *Error reporting all
// of them in the order they were found: its Code, Field and Message are
// the first problem's.
func (v *Validation) Err() error {
	if len(v.problems) == 0 {
		return nil
	}
	first := v.problems[0]
	return &Error{Code: first.Code, Field: first.Field, Message: first.Message, problems: v.problems}
}

// Problems returns every field problem e reports, the one its Field and
// Message describe first; nil when e is about no field.
func (e *Error) Problems() []FieldProblem {
	if len(e.problems) > 0 {
		return e.problems
	}
	if e.Field == "" {
		return nil
	}
	return []FieldProblem{{Loc: fieldLoc(e.Field), Code: e.Code, Message: e.Message}}
}

// ParamError returns an *Error about one query parameter.
func ParamError(code Code, name, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: code, Field: name, Message: msg,
		problems: []FieldProblem{{Loc: Param(name), Code: code, Message: msg}}}
}
