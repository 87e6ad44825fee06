package problem_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/problem"
	"github.com/hookline/hookline/internal/reqid"
	"github.com/hookline/hookline/internal/webhook"
)

func TestWriteError(t *testing.T) {
	t.Parallel()
	var several webhook.Validation
	several.Add(webhook.EINVALID, webhook.At("name"), "is required")
	several.Add(webhook.EINVALID, webhook.At("url"), "must use http or https")
	several.Add(webhook.EUNPROCESSABLE, webhook.At("events").Index(1), `unknown event type "nope"`)
	tests := []struct {
		name    string
		err     error
		want    problem.Problem
		logged  string // a word the log must contain; "" means nothing logged
		headers map[string]string
	}{
		{
			name: "every field problem is listed; field and detail are the first one",
			err:  several.Err(),
			want: problem.Problem{Status: 400, Title: "Bad Request", Detail: "name: is required", Field: "name",
				Errors: []problem.Item{
					{Pointer: "/name", Detail: "is required"},
					{Pointer: "/url", Detail: "must use http or https"},
					{Pointer: "/events/1", Detail: `unknown event type "nope"`},
				}},
		},
		{
			name: "one field problem",
			err:  webhook.FieldError(webhook.EUNPROCESSABLE, "events[0]", "unknown"),
			want: problem.Problem{Status: 422, Title: "Unprocessable Entity", Detail: "events[0]: unknown", Field: "events[0]",
				Errors: []problem.Item{{Pointer: "/events/0", Detail: "unknown"}}},
		},
		{
			name: "a query parameter",
			err:  webhook.ParamError(webhook.EINVALID, "limit", "must be a whole number from 1 to 1000"),
			want: problem.Problem{Status: 400, Title: "Bad Request", Detail: "limit: must be a whole number from 1 to 1000",
				Field: "limit", Errors: []problem.Item{{Parameter: "limit", Detail: "must be a whole number from 1 to 1000"}}},
		},
		{
			name: "no field",
			err:  webhook.Errorf(webhook.ENOTFOUND, "webhook not found"),
			want: problem.Problem{Status: 404, Title: "Not Found", Detail: "webhook not found"},
		},
		{
			name:    "storage down",
			err:     webhook.Errorf(webhook.EUNAVAILABLE, "storage unavailable: disk I/O error"),
			want:    problem.Problem{Status: 503, Title: "Service Unavailable", Detail: "storage is unavailable; try again shortly"},
			logged:  "unavailable",
			headers: map[string]string{"Retry-After": "1"},
		},
		{
			name:   "internal errors show no text",
			err:    errors.New("secret database detail"),
			want:   problem.Problem{Status: 500, Title: "Internal Server Error", Detail: "internal error"},
			logged: "secret database detail",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			r := httptest.NewRequest("POST", "/api/v1/webhooks", nil)
			r = r.WithContext(reqid.With(r.Context(), "req-1"))
			w := httptest.NewRecorder()
			problem.WriteError(w, r, log, tt.err)

			if w.Code != tt.want.Status {
				t.Errorf("status %d, want %d", w.Code, tt.want.Status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			for k, v := range tt.headers {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			var got problem.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Type, want.Instance, want.RequestID = "about:blank", "/api/v1/webhooks", "req-1"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problem =\n%+v\nwant\n%+v", got, want)
			}
			if tt.logged == "" && logs.Len() > 0 || !strings.Contains(logs.String(), tt.logged) {
				t.Errorf("log = %q, want it to contain %q", logs.String(), tt.logged)
			}
		})
	}
}

func TestWriteDefaults(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	problem.Write(w, problem.Problem{Status: http.StatusTeapot})
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if w.Code != 418 || got["type"] != "about:blank" || got["title"] != "I'm a teapot" {
		t.Errorf("%d %v", w.Code, got)
	}
	if _, ok := got["errors"]; ok {
		t.Errorf("errors member present without problems: %v", got)
	}
}
