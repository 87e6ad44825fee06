package schema_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hookline/hookline/internal/schema"
	"github.com/hookline/hookline/internal/webhook"
)

// orderSchema exercises the keywords custom event types use most.
const orderSchema = `{
	"type": "object",
	"required": ["id", "customer", "status"],
	"additionalProperties": false,
	"properties": {
		"id": {"type": "integer", "minimum": 1},
		"status": {"enum": ["pending", "paid", "refunded"]},
		"note": {"type": ["string", "null"], "maxLength": 10},
		"customer": {
			"type": "object",
			"required": ["email"],
			"properties": {
				"email": {"type": "string", "pattern": "@"},
				"tier": {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 2}]}
			}
		},
		"items": {
			"type": "array",
			"maxItems": 3,
			"items": {
				"type": "object",
				"required": ["sku"],
				"properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "exclusiveMinimum": 0}}
			}
		},
		"my-tags": {"type": "object", "additionalProperties": {"type": "string"}}
	}
}`

func TestValidate(t *testing.T) {
	t.Parallel()

	s := mustCompile(t, orderSchema)
	tests := []struct {
		name    string
		data    string
		code    webhook.Code // empty: valid
		field   string
		message string
	}{
		{name: "valid minimal", data: `{"id":1,"status":"paid","customer":{"email":"a@b"}}`},
		{name: "valid full", data: `{"id":2,"status":"pending","note":null,"customer":{"email":"a@b","tier":"gold"},"items":[{"sku":"x","qty":1}],"my-tags":{"a":"b"}}`},
		{name: "valid anyOf second branch", data: `{"id":1,"status":"paid","customer":{"email":"a@b","tier":3}}`},

		{name: "not an object", data: `[]`, code: webhook.EUNPROCESSABLE, field: "data", message: "must be an object"},
		{name: "wrong type", data: `{"id":"1","status":"paid","customer":{"email":"a@b"}}`, code: webhook.EUNPROCESSABLE, field: "data.id", message: "must be an integer"},
		{name: "missing required", data: `{"id":1,"status":"paid","customer":{}}`, code: webhook.EUNPROCESSABLE, field: "data.customer.email", message: `missing required property "email"`},
		{name: "missing several reports first", data: `{"customer":{"email":"a@b"}}`, code: webhook.EUNPROCESSABLE, field: "data.id", message: `missing required property "id"`},
		{name: "enum", data: `{"id":1,"status":"lost","customer":{"email":"a@b"}}`, code: webhook.EUNPROCESSABLE, field: "data.status", message: `must be one of "pending", "paid" or "refunded"`},
		{name: "nested type", data: `{"id":1,"status":"paid","customer":{"email":42}}`, code: webhook.EUNPROCESSABLE, field: "data.customer.email", message: "must be a string"},
		{name: "pattern", data: `{"id":1,"status":"paid","customer":{"email":"nobody"}}`, code: webhook.EUNPROCESSABLE, field: "data.customer.email", message: `must match the pattern "@"`},
		{name: "type list", data: `{"id":1,"status":"paid","note":5,"customer":{"email":"a@b"}}`, code: webhook.EUNPROCESSABLE, field: "data.note", message: "must be a string or null"},
		{name: "max length", data: `{"id":1,"status":"paid","note":"far too long","customer":{"email":"a@b"}}`, code: webhook.EUNPROCESSABLE, field: "data.note", message: "at most 10 characters"},
		{name: "minimum", data: `{"id":0,"status":"paid","customer":{"email":"a@b"}}`, code: webhook.EUNPROCESSABLE, field: "data.id", message: "must be at least 1"},
		{name: "array item type", data: `{"id":1,"status":"paid","customer":{"email":"a@b"},"items":[{"sku":"a"},{"sku":7}]}`, code: webhook.EUNPROCESSABLE, field: "data.items[1].sku", message: "must be a string"},
		{name: "array item required", data: `{"id":1,"status":"paid","customer":{"email":"a@b"},"items":[{"qty":1}]}`, code: webhook.EUNPROCESSABLE, field: "data.items[0].sku", message: `missing required property "sku"`},
		{name: "array indices in numeric order", data: `{"id":1,"status":"paid","customer":{"email":"a@b"},"items":[{"sku":"a"},{"sku":"b"},{"sku":2,"qty":0}]}`, code: webhook.EUNPROCESSABLE, field: "data.items[2].qty", message: "must be greater than 0"},
		{name: "max items", data: `{"id":1,"status":"paid","customer":{"email":"a@b"},"items":[{"sku":"a"},{"sku":"b"},{"sku":"c"},{"sku":"d"}]}`, code: webhook.EUNPROCESSABLE, field: "data.items", message: "at most 3 items"},
		{name: "additional property", data: `{"id":1,"status":"paid","customer":{"email":"a@b"},"zeta":1,"extra":true}`, code: webhook.EUNPROCESSABLE, field: "data.extra", message: `property "extra" is not allowed`},
		{name: "additional properties schema", data: `{"id":1,"status":"paid","customer":{"email":"a@b"},"my-tags":{"x y":1}}`, code: webhook.EUNPROCESSABLE, field: `data["my-tags"]["x y"]`, message: "must be a string"},
		{name: "anyOf branch that applied", data: `{"id":1,"status":"paid","customer":{"email":"a@b","tier":"g"}}`, code: webhook.EUNPROCESSABLE, field: "data.customer.tier", message: "at least 2 characters"},
		{name: "anyOf no branch applied", data: `{"id":1,"status":"paid","customer":{"email":"a@b","tier":true}}`, code: webhook.EUNPROCESSABLE, field: "data.customer.tier", message: "must be an integer or a string"},
		{name: "invalid JSON", data: `{"id":`, code: webhook.EINVALID, field: "data", message: "valid JSON"},
		{name: "trailing data", data: `{} {}`, code: webhook.EINVALID, field: "data", message: "valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			err := s.Validate(json.RawMessage(tt.data))
			checkError(t, err, tt.code, tt.field, tt.message)
		})
	}
}

// TestValidateDeterministic checks that data with many problems always
// gets the same one reported, although the validator walks maps in random
// order.
func TestValidateDeterministic(t *testing.T) {
	t.Parallel()

	s := mustCompile(t, `{
		"type": "object",
		"additionalProperties": false,
		"properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}
	}`)
	data := json.RawMessage(`{"c":1,"b":2,"a":3,"z":4,"y":5}`)
	for range 50 {
		checkError(t, s.Validate(data), webhook.EUNPROCESSABLE, "data.a", "must be a string")
	}
}

func TestCompile(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		schema  string
		message string // fragment; empty: compiles
	}{
		{name: "draft 2020-12 default", schema: `{"type":"object","$defs":{"s":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/s"}}}`},
		{name: "explicit draft-07", schema: `{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"s":{"type":"string"}},"properties":{"a":{"$ref":"#/definitions/s"}}}`},
		{name: "empty object accepts anything", schema: `{}`},

		{name: "not JSON", schema: `{"type":`, message: "schema is not valid JSON"},
		{name: "empty", schema: ``, message: "schema is not valid JSON"},
		{name: "not an object", schema: `true`, message: "schema must be a JSON object"},
		{name: "unknown type", schema: `{"properties":{"a":{"type":"strin"}}}`, message: `invalid at /properties/a/type: must be one of "array"`},
		{name: "bad keyword value", schema: `{"required":"email"}`, message: "invalid at /required: must be an array"},
		{name: "bad regex", schema: `{"pattern":"(?<=a)b"}`, message: "invalid at /pattern: must be a valid regex"},
		{name: "dangling local ref", schema: `{"$ref":"#/$defs/missing"}`, message: "not found"},
		{name: "remote ref", schema: `{"$ref":"https://schemas.example.com/customer.json"}`, message: `references "https://schemas.example.com/customer.json": only references within the schema itself are allowed`},
		{name: "relative ref", schema: `{"properties":{"a":{"$ref":"customer.json#/x"}}}`, message: `references "customer.json"`},
		{name: "relative ref against $id", schema: `{"$id":"https://schemas.example.com/order.json","$ref":"customer.json"}`, message: `references "https://schemas.example.com/customer.json"`},
		{name: "file ref", schema: `{"$ref":"file:///etc/passwd"}`, message: `references "file:///etc/passwd"`},
		{name: "remote meta-schema", schema: `{"$schema":"https://schemas.example.com/meta.json"}`, message: `references "https://schemas.example.com/meta.json"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			s, err := schema.Compile(json.RawMessage(tt.schema))
			if tt.message == "" {
				checkError(t, err, "", "", "")
				if err := s.Validate(json.RawMessage(`{"a":"x"}`)); err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			checkError(t, err, webhook.EUNPROCESSABLE, "schema", tt.message)
		})
	}
}

// TestValidateConcurrent runs one cached schema from many goroutines; run
// with -race to check Validate shares no mutable state.
func TestValidateConcurrent(t *testing.T) {
	t.Parallel()

	s := mustCompile(t, orderSchema)
	valid := json.RawMessage(`{"id":1,"status":"paid","customer":{"email":"a@b"},"items":[{"sku":"x"}]}`)
	invalid := json.RawMessage(`{"id":1,"status":"paid","customer":{"email":"a@b"},"items":[{"sku":1}]}`)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if err := s.Validate(valid); err != nil {
					errs <- err
					return
				}
				err := s.Validate(invalid)
				var appErr *webhook.Error
				if !errors.As(err, &appErr) || appErr.Field != "data.items[0].sku" {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Validate: unexpected result %v", err)
	}
}

func mustCompile(t *testing.T, raw string) *schema.Schema {
	t.Helper()
	s, err := schema.Compile(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
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

// TestValidateReportsEveryProblem checks that all problems come back in
// document order, each with its dotted path and its JSON pointer, and
// that the list is bounded.
func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, orderSchema)
	err := s.Validate(json.RawMessage(`{"id":0,"status":"paid","customer":{},"items":[{"sku":1},{"qty":0,"sku":"a"}],"my-tags":{"a/b":1}}`))
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok {
		t.Fatalf("Validate = %v, want *webhook.Error", err)
	}
	type got struct{ field, pointer, msg string }
	want := []got{
		{"data.customer.email", "/data/customer/email", `missing required property "email"`},
		{"data.id", "/data/id", "must be at least 1"},
		{"data.items[0].sku", "/data/items/0/sku", "must be a string"},
		{"data.items[1].qty", "/data/items/1/qty", "must be greater than 0"},
		{`data["my-tags"]["a/b"]`, "/data/my-tags/a~1b", "must be a string"},
	}
	var have []got
	for _, p := range e.Problems() {
		if p.Code != webhook.EUNPROCESSABLE {
			t.Errorf("%s: code %s", p.Field, p.Code)
		}
		have = append(have, got{p.Field, p.Pointer, p.Message})
	}
	if !slices.Equal(have, want) {
		t.Errorf("problems =\n%q\nwant\n%q", have, want)
	}
	if e.Field != want[0].field || e.Message != want[0].msg {
		t.Errorf("Error names %q: %q, want the first problem", e.Field, e.Message)
	}

	many := mustCompile(t, `{"type":"array","items":{"type":"string"}}`)
	err = many.Validate(json.RawMessage("[" + strings.Repeat("1,", 199) + "1]"))
	if e, ok := errors.AsType[*webhook.Error](err); !ok || len(e.Problems()) != schema.MaxProblems ||
		e.Problems()[0].Field != "data[0]" {
		t.Errorf("200 bad items: %v, want the first %d problems", err, schema.MaxProblems)
	}
}
