package jsonx_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/jsonx"
	"github.com/hookline/hookline/internal/webhook"
)

type item struct {
	SKU      string `json:"sku"`
	Quantity uint8  `json:"quantity"`
}

type request struct {
	Name   string            `json:"name"`
	Active *bool             `json:"active"`
	Count  int               `json:"count"`
	Score  float64           `json:"score"`
	Items  []item            `json:"items"`
	Meta   map[string]string `json:"meta"`
	When   time.Time         `json:"when"`
	Data   any               `json:"data"`
}

func TestDecodeBytes(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		body    string
		code    webhook.Code // empty: success
		field   string
		message string // fragment
	}{
		{name: "ok", body: `{"name":"a","items":[{"sku":"x","quantity":2}],"data":{"k":[1,2]}}`},
		{name: "ok surrounding whitespace", body: " \n\t{\"name\":\"a\"}\r\n "},
		{name: "ok depth at limit", body: `{"data":` + nest(63) + `}`},

		{name: "empty", body: ``, code: webhook.EINVALID, message: "request body is empty"},
		{name: "whitespace only", body: " \n\t ", code: webhook.EINVALID, message: "request body is empty"},
		{name: "unknown field", body: `{"name":"a","colour":"red"}`, code: webhook.EINVALID, field: "colour", message: `unknown field "colour"`},
		{name: "unknown nested field", body: `{"items":[{"sku":"x","size":"L"}]}`, code: webhook.EINVALID, field: "size", message: `unknown field "size"`},
		{name: "unknown field with quote", body: `{"a\"b":1}`, code: webhook.EINVALID, field: `a"b`, message: `unknown field "a\"b"`},
		{name: "string wanted", body: `{"name":1}`, code: webhook.EINVALID, field: "name", message: "must be a string"},
		{name: "nested string wanted", body: `{"items":[{"sku":true}]}`, code: webhook.EINVALID, field: "items.sku", message: "must be a string"},
		{name: "boolean wanted", body: `{"active":"yes"}`, code: webhook.EINVALID, field: "active", message: "must be a boolean"},
		{name: "integer wanted", body: `{"count":1.5}`, code: webhook.EINVALID, field: "count", message: "must be an integer"},
		{name: "integer from string", body: `{"count":"1"}`, code: webhook.EINVALID, field: "count", message: "must be an integer"},
		{name: "integer out of range", body: `{"items":[{"quantity":300}]}`, code: webhook.EINVALID, field: "items.quantity", message: "must be an integer between 0 and 255"},
		{name: "number wanted", body: `{"score":"high"}`, code: webhook.EINVALID, field: "score", message: "must be a number"},
		{name: "array wanted", body: `{"items":{}}`, code: webhook.EINVALID, field: "items", message: "must be an array"},
		{name: "object wanted", body: `{"meta":[]}`, code: webhook.EINVALID, field: "meta", message: "must be an object"},
		{name: "top-level object wanted", body: `[1]`, code: webhook.EINVALID, message: "request body must be an object"},
		{name: "bad timestamp", body: `{"when":"yesterday"}`, code: webhook.EINVALID, message: "must be RFC 3339"},
		{name: "syntax error", body: `{"name":x}`, code: webhook.EINVALID, message: "invalid JSON at byte 9: invalid character 'x'"},
		{name: "truncated", body: `{"name":"a"`, code: webhook.EINVALID, message: "invalid JSON at byte 11: unexpected end of input"},
		{name: "trailing value", body: `{"name":"a"} {"name":"b"}`, code: webhook.EINVALID, message: "invalid JSON at byte 13: unexpected data after"},
		{name: "trailing garbage", body: `{}x`, code: webhook.EINVALID, message: "invalid JSON at byte 2: unexpected data after"},
		{name: "trailing bracket", body: `{}}`, code: webhook.EINVALID, message: "unexpected data after"},
		{name: "too deep", body: `{"data":` + nest(64) + `}`, code: webhook.EINVALID, message: "maximum depth of 64 at byte 71"},
		{name: "too deep and unterminated", body: strings.Repeat("[", 100000), code: webhook.EINVALID, message: "maximum depth of 64"},
		{name: "invalid UTF-8 in string", body: "{\"name\":\"a\xffb\"}", code: webhook.EINVALID, message: "not valid UTF-8 at byte 10"},
		{name: "invalid UTF-8 outside string", body: "{\xc3}", code: webhook.EINVALID, message: "not valid UTF-8 at byte 1"},
		{name: "valid UTF-8", body: `{"name":"café ☕"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			var req request
			err := jsonx.DecodeBytes([]byte(tt.body), &req)
			checkError(t, err, tt.code, tt.field, tt.message)
		})
	}
}

// TestDecodeBytesDepthOption checks that Decoder.MaxDepth overrides the
// default in both directions.
func TestDecodeBytesDepthOption(t *testing.T) {
	t.Parallel()

	tests := []struct {
		maxDepth int
		body     string
		wantErr  bool
	}{
		{maxDepth: 2, body: `[[1]]`},
		{maxDepth: 2, body: `[[[1]]]`, wantErr: true},
		{maxDepth: 100, body: nest(100)},
		{maxDepth: 100, body: nest(101), wantErr: true},
	}
	for _, tt := range tests {
		var v any
		err := jsonx.Decoder{MaxDepth: tt.maxDepth}.DecodeBytes([]byte(tt.body), &v)
		if (err != nil) != tt.wantErr {
			t.Errorf("MaxDepth %d, depth %d: err = %v, want error %v", tt.maxDepth, jsonx.Depth([]byte(tt.body)), err, tt.wantErr)
		}
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		body    io.Reader
		limit   int64 // 0: no MaxBytesReader
		code    webhook.Code
		field   string
		message string
	}{
		{name: "ok", body: strings.NewReader(`{"name":"a"}`)},
		{name: "ok at limit", body: strings.NewReader(`{"name":"a"}`), limit: 12},
		{name: "over limit", body: strings.NewReader(`{"name":"ab"}`), limit: 12, code: webhook.ETOOLARGE, message: "request body exceeds 12 bytes"},
		{name: "read failure", body: io.MultiReader(strings.NewReader(`{"na`), errReader{}), code: webhook.EINVALID, message: "could not read request body"},
		{name: "decode error", body: strings.NewReader(`{"nope":1}`), code: webhook.EINVALID, field: "nope", message: `unknown field "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			body := tt.body
			if tt.limit > 0 {
				body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(body), tt.limit)
			}
			var req request
			err := jsonx.Decode(body, &req)
			checkError(t, err, tt.code, tt.field, tt.message)
			if err == nil && req.Name != "a" {
				t.Errorf("Name = %q, want %q", req.Name, "a")
			}
		})
	}
}

// TestDecodeBytesNotPointer checks that a programming mistake is an
// internal error, never blamed on the client.
func TestDecodeBytesNotPointer(t *testing.T) {
	t.Parallel()

	var req request
	err := jsonx.DecodeBytes([]byte(`{}`), req)
	checkError(t, err, webhook.EINTERNAL, "", "")
}

func TestDepth(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want int
	}{
		{``, 0},
		{`1`, 0},
		{`"[[["`, 0},
		{`{}`, 1},
		{`[1,2]`, 1},
		{`{"a":[{"b":[]}]}`, 4},
		{`[[],[[]]]`, 3},
		{`["\"[", {"k\\":"]"}]`, 2},
		{`]]]][`, 1},
		{nest(64), 64},
		{strings.Repeat("[", 1000), 1000},
	}
	for _, tt := range tests {
		if got := jsonx.Depth([]byte(tt.in)); got != tt.want {
			t.Errorf("Depth(%.40q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestCheckDepth(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in      string
		max     int
		message string // empty: no error
	}{
		{`{"a":[1]}`, 2, ""},
		{`{"a":[1]}`, 1, "JSON nesting exceeds the maximum depth of 1 at byte 5"},
		{`"[[[["`, 1, ""},
		{`[[0],[[0]]]`, 2, "at byte 6"},
	}
	for _, tt := range tests {
		err := jsonx.CheckDepth([]byte(tt.in), tt.max)
		checkError(t, err, codeIf(tt.message != "", webhook.EINVALID), "", tt.message)
	}
}

// nest returns depth nested arrays around a number.
func nest(depth int) string {
	return strings.Repeat("[", depth) + "1" + strings.Repeat("]", depth)
}

func codeIf(ok bool, code webhook.Code) webhook.Code {
	if ok {
		return code
	}
	return ""
}

// checkError fails t unless err is nil when code is empty, or else a
// *webhook.Error with that code, field and a message containing fragment.
func checkError(t *testing.T, err error, code webhook.Code, field, fragment string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var appErr *webhook.Error
	if !errors.As(err, &appErr) {
		t.Fatalf("error = %#v, want *webhook.Error", err)
	}
	if appErr.Code != code {
		t.Errorf("code = %q, want %q (%v)", appErr.Code, code, err)
	}
	if appErr.Field != field {
		t.Errorf("field = %q, want %q (%v)", appErr.Field, field, err)
	}
	if !strings.Contains(appErr.Message, fragment) {
		t.Errorf("message = %q, want it to contain %q", appErr.Message, fragment)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestDuplicateKeys(t *testing.T) {
	tests := []struct {
		body string
		dup  string // "" when accepted
	}{
		{`{"amount": 1000000, "amount": 1}`, "amount"},
		{`{"a": 1, "\u0061": 2}`, "a"},
		{`{"data": {"x": {"y": 1, "y": 2}}}`, "y"},
		{`[{"a": 1}, {"a": 2}]`, ""},
		{`{"a": {"a": 1}, "b": ["a", "a"]}`, ""},
		{`{"a": "\"a\": 1, \"a\""}`, ""},
		{`{"a": 1, "b": {"c": 1}, "c": 2}`, ""},
		{`{"list": [{"k": 1, "k": 2}]}`, "k"},
	}
	for _, tt := range tests {
		err := jsonx.CheckDuplicateKeys([]byte(tt.body))
		switch {
		case tt.dup == "" && err != nil:
			t.Errorf("%s: %v", tt.body, err)
		case tt.dup != "" && (err == nil || !strings.Contains(err.Error(), `"`+tt.dup+`" appears twice`)):
			t.Errorf("%s: %v, want the key %q named", tt.body, err, tt.dup)
		}
	}
	var v map[string]any
	if err := jsonx.DecodeBytes([]byte(`{"amount": 1000000, "amount": 1}`), &v); webhook.ErrorCode(err) != webhook.EINVALID {
		t.Errorf("DecodeBytes: %v", err)
	}
}
