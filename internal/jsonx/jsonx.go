// Package jsonx decodes API request bodies strictly: exactly one JSON value,
// no unknown fields, no key twice in an object, bounded nesting, valid
// UTF-8. Every failure comes back
// as a *webhook.Error whose message is safe to show the client, so handlers
// can return it as is.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/webhook"
)

// DefaultMaxDepth is the nesting limit used when Decoder.MaxDepth is zero.
// Real API bodies nest a handful of levels; the limit keeps a hostile body
// from driving deep recursion in encoding/json or a schema validator.
const DefaultMaxDepth = 64

// Decoder holds decoding limits. The zero value is ready to use.
type Decoder struct {
	// MaxDepth is the deepest nesting of objects and arrays accepted;
	// zero means DefaultMaxDepth.
	MaxDepth int
}

// Decode reads r to the end and decodes it into v with the default limits.
// See Decoder.Decode.
func Decode(r io.Reader, v any) error {
	return Decoder{}.Decode(r, v)
}

// DecodeBytes decodes b into v with the default limits. See
// Decoder.DecodeBytes.
func DecodeBytes(b []byte, v any) error {
	return Decoder{}.DecodeBytes(b, v)
}

// Decode reads r to the end and decodes it into v. The body is read whole
// first; the caller bounds its size by wrapping it in http.MaxBytesReader,
// and exceeding that limit is reported as ETOOLARGE. Callers that need the
// raw bytes too should use ReadBody and DecodeBytes.
func (d Decoder) Decode(r io.Reader, v any) error {
	b, err := ReadBody(r)
	if err != nil {
		return err
	}
	return d.DecodeBytes(b, v)
}

// DecodeBytes decodes b, which must hold exactly one JSON value, into v.
// Fields of b that v has no place for are rejected rather than ignored, so
// a misspelt option fails loudly instead of silently doing nothing.
//
// Every error is a *webhook.Error with code EINVALID (or EINTERNAL when v
// is not a non-nil pointer, a programming mistake).
func (d Decoder) DecodeBytes(b []byte, v any) error {
	if isBlank(b) {
		return webhook.Errorf(webhook.EINVALID, "request body is empty")
	}
	if err := checkUTF8(b); err != nil {
		return err
	}
	maxDepth := d.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	if err := CheckDepth(b, maxDepth); err != nil {
		return err
	}
	if err := CheckDuplicateKeys(b); err != nil {
		return err
	}

	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, len(b))
	}
	// Decode stops after the first value; anything but whitespace after it
	// means the client sent something other than what it meant.
	if off := skipBlank(b, int(dec.InputOffset())); off < len(b) {
		return webhook.Errorf(webhook.EINVALID, "invalid JSON at byte %d: unexpected data after the top-level value", off)
	}
	return nil
}

// ReadBody reads r to the end. A body cut off by http.MaxBytesReader
// becomes ETOOLARGE naming the limit; any other read failure (usually the
// client going away) becomes EINVALID.
func ReadBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, webhook.Errorf(webhook.ETOOLARGE, "request body exceeds %d bytes", tooLarge.Limit)
		}
		return nil, webhook.Errorf(webhook.EINVALID, "could not read request body")
	}
	return b, nil
}

// Depth returns the deepest nesting of objects and arrays in b: 0 for a
// scalar, 1 for {} or [1], 2 for [[1]]. It scans bytes once without
// recursion, skipping string contents, so it is safe to run on untrusted
// input before a recursive decoder sees it. b need not be valid JSON; the
// result is then only an estimate.
func Depth(b []byte) int {
	maxDepth := 0
	scan(b, func(depth, _ int) bool {
		maxDepth = max(maxDepth, depth)
		return true
	})
	return maxDepth
}

// CheckDepth returns an EINVALID *webhook.Error when b nests objects and
// arrays deeper than maxDepth, naming the byte where the limit was crossed.
// It stops at that byte rather than scanning the rest. The error has no
// Field; callers checking a sub-document such as an event's data set it.
func CheckDepth(b []byte, maxDepth int) error {
	tooDeep := -1
	scan(b, func(d, off int) bool {
		if d > maxDepth {
			tooDeep = off
			return false
		}
		return true
	})
	if tooDeep >= 0 {
		return webhook.Errorf(webhook.EINVALID, "JSON nesting exceeds the maximum depth of %d at byte %d", maxDepth, tooDeep)
	}
	return nil
}

// scan calls fn with the new depth and offset at every '{' or '[' outside
// a string, and stops early when fn returns false. Closing brackets lower
// the depth without a call, never below zero.
func scan(b []byte, fn func(depth, off int) bool) {
	depth := 0
	inString, escaped := false, false
	for i, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if !fn(depth, i) {
				return
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
}

// checkUTF8 rejects bodies that are not valid UTF-8. encoding/json would
// quietly replace bad bytes with U+FFFD, storing something the client never
// sent.
func checkUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	off := 0
	for off < len(b) {
		r, size := utf8.DecodeRune(b[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	return webhook.Errorf(webhook.EINVALID, "request body is not valid UTF-8 at byte %d", off)
}

// isBlank reports whether b holds only JSON whitespace.
func isBlank(b []byte) bool {
	return skipBlank(b, 0) == len(b)
}

// skipBlank returns the offset of the first non-whitespace byte of b at or
// after off, or len(b).
func skipBlank(b []byte, off int) int {
	for off < len(b) {
		switch b[off] {
		case ' ', '\t', '\n', '\r':
			off++
		default:
			return off
		}
	}
	return off
}

// decodeError turns an encoding/json error into a *webhook.Error. n is the
// body length, used as the offset of a premature end.
func decodeError(err error, n int) error {
	var (
		appErr    *webhook.Error
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		invalid   *json.InvalidUnmarshalError
		timeErr   *time.ParseError
	)
	switch {
	case errors.As(err, &appErr):
		// A field's own UnmarshalJSON already said what is wrong.
		return appErr
	case errors.As(err, &syntaxErr):
		return webhook.Errorf(webhook.EINVALID, "invalid JSON at byte %d: %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return webhook.Errorf(webhook.EINVALID, "invalid JSON at byte %d: unexpected end of input", n)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return webhook.Errorf(webhook.EINVALID, "request body %s", mustBe(typeErr))
		}
		return webhook.FieldError(webhook.EINVALID, field, "%s", mustBe(typeErr))
	case errors.As(err, &timeErr):
		return webhook.Errorf(webhook.EINVALID, "invalid timestamp %q: must be RFC 3339, like 2006-01-02T15:04:05Z", timeErr.Value)
	case errors.As(err, &invalid):
		return webhook.Errorf(webhook.EINTERNAL, "jsonx: %v", err)
	}
	if name, ok := unknownField(err.Error()); ok {
		return webhook.FieldError(webhook.EINVALID, name, "unknown field %q", name)
	}
	return webhook.Errorf(webhook.EINVALID, "request body is not acceptable JSON")
}

// unknownField extracts the name from encoding/json's DisallowUnknownFields
// error, `json: unknown field "name"`. encoding/json has no typed error for
// it, so the text is the only source; it matches on the last occurrence of
// the marker so a prefix added by a future Go version does not break it.
func unknownField(msg string) (string, bool) {
	const marker = "unknown field "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return "", false
	}
	quoted := msg[i+len(marker):]
	if name, err := strconv.Unquote(quoted); err == nil {
		return name, true
	}
	return strings.Trim(quoted, `"`), true
}

// mustBe says in plain words what JSON the target of a type error accepts.
func mustBe(e *json.UnmarshalTypeError) string {
	t := e.Type
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "has the wrong type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intMustBe(e.Value, int64(-1)<<(t.Bits()-1), uint64(1)<<(t.Bits()-1)-1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return intMustBe(e.Value, 0, uint64(math.MaxUint64)>>(64-t.Bits()))
	case reflect.Float32, reflect.Float64:
		if strings.HasPrefix(e.Value, "number") {
			return "is out of range"
		}
		return "must be a number"
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be a boolean"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "must be a base64 string"
		}
		return "must be an array"
	case reflect.Map, reflect.Struct:
		return "must be an object"
	}
	return "has the wrong type"
}

// intMustBe describes an integer target. encoding/json reports a number it
// could not store as Value "number <literal>"; a fraction or exponent means
// it is not an integer at all, anything else means it is out of range.
func intMustBe(value string, lo int64, hi uint64) string {
	lit, isNumber := strings.CutPrefix(value, "number ")
	if !isNumber || strings.ContainsAny(lit, ".eE") {
		return "must be an integer"
	}
	return fmt.Sprintf("must be an integer between %d and %d", lo, hi)
}
