package webhook_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/hookline/hookline/internal/webhook"
)

func TestLoc(t *testing.T) {
	t.Parallel()
	tests := []struct {
		loc                       webhook.Loc
		field, pointer, parameter string
	}{
		{webhook.At("name"), "name", "/name", ""},
		{webhook.At("events").Index(2), "events[2]", "/events/2", ""},
		{webhook.At("headers").Key("X-Foo"), "headers.X-Foo", "/headers/X-Foo", ""},
		// Header names may hold dots; the pointer keeps the key whole.
		{webhook.At("headers").Key("X.Foo"), "headers.X.Foo", "/headers/X.Foo", ""},
		// RFC 6901: "~" and "/" are escaped in a reference token.
		{webhook.At("a/b").Key("c~d"), "a/b.c~d", "/a~1b/c~0d", ""},
		{webhook.At("destination").Key("type"), "destination.type", "/destination/type", ""},
		{webhook.At("filters").Index(0).Key("path"), "filters[0].path", "/filters/0/path", ""},
		{webhook.Param("limit"), "limit", "", "limit"},
	}
	for _, tt := range tests {
		if tt.loc.Field != tt.field || tt.loc.Pointer != tt.pointer || tt.loc.Parameter != tt.parameter {
			t.Errorf("%+v: want field %q, pointer %q, parameter %q", tt.loc, tt.field, tt.pointer, tt.parameter)
		}
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	storageDown := errors.New("storage down")
	tests := []struct {
		name  string
		build func(v *webhook.Validation) error // returns what a check returns early, if anything
		want  []webhook.FieldProblem
		// wantErr is the Error's Code, Field and Message when problems
		// were found.
		wantErr   *webhook.Error
		wantEarly error
	}{
		{
			name:  "nothing wrong",
			build: func(v *webhook.Validation) error { return v.Merge(nil) },
		},
		{
			name: "one problem",
			build: func(v *webhook.Validation) error {
				v.Add(webhook.EINVALID, webhook.At("name"), "must be %d to %d characters", 2, 200)
				return nil
			},
			want: []webhook.FieldProblem{
				{Loc: webhook.At("name"), Code: webhook.EINVALID, Message: "must be 2 to 200 characters"},
			},
			wantErr: &webhook.Error{Code: webhook.EINVALID, Field: "name", Message: "must be 2 to 200 characters"},
		},
		{
			name: "several problems keep their order; the first one's code leads",
			build: func(v *webhook.Validation) error {
				v.Add(webhook.EUNPROCESSABLE, webhook.At("events").Index(1), "unknown event type %q", "x")
				v.Add(webhook.EINVALID, webhook.At("name"), "is required")
				return nil
			},
			want: []webhook.FieldProblem{
				{Loc: webhook.At("events").Index(1), Code: webhook.EUNPROCESSABLE, Message: `unknown event type "x"`},
				{Loc: webhook.At("name"), Code: webhook.EINVALID, Message: "is required"},
			},
			wantErr: &webhook.Error{Code: webhook.EUNPROCESSABLE, Field: "events[1]", Message: `unknown event type "x"`},
		},
		{
			name: "merge of a single field error",
			build: func(v *webhook.Validation) error {
				return v.Merge(webhook.FieldError(webhook.EINVALID, "url", "must use http or https"))
			},
			want: []webhook.FieldProblem{
				{Loc: webhook.At("url"), Code: webhook.EINVALID, Message: "must use http or https"},
			},
			wantErr: &webhook.Error{Code: webhook.EINVALID, Field: "url", Message: "must use http or https"},
		},
		{
			name: "merge of a wrapped field error with a nested path",
			build: func(v *webhook.Validation) error {
				return v.Merge(fmt.Errorf("check: %w", webhook.FieldError(webhook.EUNPROCESSABLE, "data.items[2].sku", "is required")))
			},
			want: []webhook.FieldProblem{
				{Loc: webhook.Loc{Field: "data.items[2].sku", Pointer: "/data/items/2/sku"}, Code: webhook.EUNPROCESSABLE, Message: "is required"},
			},
			wantErr: &webhook.Error{Code: webhook.EUNPROCESSABLE, Field: "data.items[2].sku", Message: "is required"},
		},
		{
			name: "merge of another validation's problems",
			build: func(v *webhook.Validation) error {
				v.Add(webhook.EINVALID, webhook.At("name"), "is required")
				var inner webhook.Validation
				inner.Add(webhook.EINVALID, webhook.At("headers").Key("Host"), "is set by Hookline")
				inner.Add(webhook.EINVALID, webhook.At("headers").Key("X y"), "is not a valid header name")
				return v.Merge(inner.Err())
			},
			want: []webhook.FieldProblem{
				{Loc: webhook.At("name"), Code: webhook.EINVALID, Message: "is required"},
				{Loc: webhook.At("headers").Key("Host"), Code: webhook.EINVALID, Message: "is set by Hookline"},
				{Loc: webhook.At("headers").Key("X y"), Code: webhook.EINVALID, Message: "is not a valid header name"},
			},
			wantErr: &webhook.Error{Code: webhook.EINVALID, Field: "name", Message: "is required"},
		},
		{
			name: "an error about no field is handed back",
			build: func(v *webhook.Validation) error {
				v.Add(webhook.EINVALID, webhook.At("name"), "is required")
				return v.Merge(fmt.Errorf("event type: %w", storageDown))
			},
			wantEarly: storageDown,
		},
		{
			name: "an application error about no field is handed back",
			build: func(v *webhook.Validation) error {
				return v.Merge(webhook.ErrNotFound)
			},
			wantEarly: webhook.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v webhook.Validation
			early := tt.build(&v)
			if tt.wantEarly != nil {
				if !errors.Is(early, tt.wantEarly) {
					t.Errorf("returned %v, want %v", early, tt.wantEarly)
				}
				return
			}
			if early != nil {
				t.Fatalf("returned %v, want nil", early)
			}
			err := v.Err()
			if tt.wantErr == nil {
				if err != nil || v.Len() != 0 {
					t.Errorf("Err() = %v with %d problems, want nil", err, v.Len())
				}
				return
			}
			e, ok := errors.AsType[*webhook.Error](err)
			if !ok {
				t.Fatalf("Err() = %v, want *webhook.Error", err)
			}
			if e.Code != tt.wantErr.Code || e.Field != tt.wantErr.Field || e.Message != tt.wantErr.Message {
				t.Errorf("Err() = {%s %q %q}, want {%s %q %q}", e.Code, e.Field, e.Message,
					tt.wantErr.Code, tt.wantErr.Field, tt.wantErr.Message)
			}
			if got := e.Problems(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Problems() =\n%+v\nwant\n%+v", got, tt.want)
			}
			if v.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", v.Len(), len(tt.want))
			}
		})
	}
}

func TestErrorProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *webhook.Error
		want []webhook.FieldProblem
	}{
		{webhook.Errorf(webhook.EINVALID, "request body is empty"), nil},
		{webhook.FieldError(webhook.EINVALID, "events[0]", "bad"),
			[]webhook.FieldProblem{{Loc: webhook.Loc{Field: "events[0]", Pointer: "/events/0"}, Code: webhook.EINVALID, Message: "bad"}}},
		{webhook.FieldError(webhook.EUNPROCESSABLE, `data["odd key"][3]`, "bad"),
			[]webhook.FieldProblem{{Loc: webhook.Loc{Field: `data["odd key"][3]`, Pointer: "/data/odd key/3"}, Code: webhook.EUNPROCESSABLE, Message: "bad"}}},
		{webhook.ParamError(webhook.EINVALID, "limit", "must be a whole number"),
			[]webhook.FieldProblem{{Loc: webhook.Param("limit"), Code: webhook.EINVALID, Message: "must be a whole number"}}},
	}
	for _, tt := range tests {
		if got := tt.err.Problems(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v: Problems() = %+v, want %+v", tt.err, got, tt.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	var v webhook.Validation
	v.Add(webhook.EINVALID, webhook.At("name"), "is required")
	v.Add(webhook.EINVALID, webhook.At("url"), "must use http or https")
	tests := []struct {
		err  error
		want string
	}{
		{webhook.Errorf(webhook.ENOTFOUND, "webhook not found"), "not_found: webhook not found"},
		{webhook.FieldError(webhook.EINVALID, "name", "is required"), "invalid: name: is required"},
		{v.Err(), "invalid: name: is required; url: must use http or https"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
