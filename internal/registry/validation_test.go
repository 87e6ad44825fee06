package registry_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// problems returns err's field problems as "pointer code: message".
func problems(t *testing.T, err error) []string {
	t.Helper()
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok {
		t.Fatalf("error %v is not a *webhook.Error", err)
	}
	var out []string
	for _, p := range e.Problems() {
		out = append(out, p.Pointer+" "+string(p.Code)+": "+p.Message)
	}
	return out
}

func wantProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	if got := problems(t, err); !slices.Equal(got, want) {
		t.Errorf("problems =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWebhookValidationReportsEveryProblem: create, update and
// CheckWebhook report every bad field, in the order of the API's fields,
// and store nothing.
func TestWebhookValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	known := b.builtin[0].Slug

	tests := []struct {
		name string
		in   registry.WebhookInput
		want []string
	}{
		{
			name: "required fields missing",
			in:   registry.WebhookInput{},
			want: []string{
				"/name invalid: is required",
				"/url invalid: is required",
				`/events invalid: is required: a list of event type slugs, or ["*"] for all`,
			},
		},
		{
			name: "every field wrong",
			in: registry.WebhookInput{
				Tenant: ptr("a b"), Name: ptr("x"), URL: ptr("ftp://example.com/"),
				Description: ptr(strings.Repeat("d", registry.MaxDescription+1)),
				Events:      []string{known, "Not A Slug", "no.such.type", known},
				Headers:     map[string]string{"X-Ok": "1", "Host": "evil", "X-Bad": "a\nb"},
				Format:      ptr("xml"), Integration: ptr("not valid!"),
				Destination:   &webhook.Destination{Type: "carrier-pigeon"},
				SecretHeaders: []string{"x-ok", "X-Missing", "Nope"},
			},
			want: []string{
				"/tenant invalid: may contain only letters, digits and _ - . : @",
				"/name invalid: must be 2 to 200 characters",
				"/url invalid: scheme must be http or https",
				"/description invalid: must be at most 2000 characters",
				`/events/1 invalid: "Not A Slug" is not a valid event type slug`,
				`/events/2 unprocessable: unknown event type "no.such.type" (see GET /api/v1/event-types)`,
				"/headers/Host invalid: is set by Hookline and cannot be overridden",
				"/headers/X-Bad invalid: value must not contain control characters",
				`/format invalid: must be "envelope" or "raw"`,
				"/integration invalid: must be a short name like manual, zapier or make (letters, digits, _ . -)",
				fmt.Sprintf("/destination/type invalid: must be one of %q", deliver.Types()),
				`/secret_headers/1 invalid: "X-Missing" is not one of the webhook's headers`,
				`/secret_headers/2 invalid: "Nope" is not one of the webhook's headers`,
			},
		},
		{
			name: "a wildcard mixed in is one problem with the list",
			in:   registry.WebhookInput{Name: ptr("ok"), URL: ptr("https://example.com/"), Events: []string{"*", known, "*"}},
			want: []string{`/events invalid: "*" subscribes to everything and cannot be combined with other types`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, _, err := b.reg.CreateWebhook(b.ctx, tt.in)
			wantProblems(t, err, tt.want...)
			if _, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
				t.Errorf("a refused webhook was stored (WebhookGet: %v)", err)
			}
		})
	}

	t.Run("update", func(t *testing.T) {
		t.Parallel()
		w, _ := b.create(t, b.validInput())
		_, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{
			Tenant: ptr("other"), Name: ptr(""), Events: []string{},
		})
		wantProblems(t, err,
			"/tenant invalid: cannot be changed; create a new webhook",
			"/name invalid: must be 2 to 200 characters",
			`/events invalid: must list at least one event type, or ["*"] for all`,
		)
		if got, _ := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID); got.Name != w.Name {
			t.Errorf("a refused update changed the name to %q", got.Name)
		}
	})

	t.Run("check", func(t *testing.T) {
		t.Parallel()
		if err := b.reg.CheckWebhook(b.ctx, b.validInput()); err != nil {
			t.Errorf("CheckWebhook(valid) = %v", err)
		}
		err := b.reg.CheckWebhook(b.ctx, registry.WebhookInput{URL: ptr("/relative"), Format: ptr("soap")})
		wantProblems(t, err,
			"/url invalid: must be an absolute URL starting with http:// or https://",
			`/format invalid: must be "envelope" or "raw"`,
		)
	})
}

func TestCheckHeadersReportsEveryHeader(t *testing.T) {
	t.Parallel()
	err := registry.CheckHeaders(map[string]string{
		"x-dup": "1", "X-Dup": "2", "Content-Length": "1", "Bad Name": "x", "a/b": "x", "X-Fine": "ok",
	})
	// In order of the names; of two that differ only in case, the later
	// one is the repeat.
	wantProblems(t, err,
		"/headers/Bad Name invalid: is not a valid header name",
		"/headers/Content-Length invalid: is set by Hookline and cannot be overridden",
		"/headers/a~1b invalid: is not a valid header name",
		"/headers/x-dup invalid: is given twice (header names are case-insensitive)",
	)
}

func TestEventTypeValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	tests := []struct {
		name string
		in   registry.EventTypeInput
		want []string
	}{
		{
			name: "every field wrong",
			in: registry.EventTypeInput{Slug: "Bad Slug", Name: "", Description: strings.Repeat("d", registry.MaxEventTypeDescription+1),
				Example: json.RawMessage(`[1]`), Schema: json.RawMessage(`{"type":"nope"}`)},
			want: []string{
				"/slug invalid: must match ^[a-z0-9][a-z0-9_.-]{0,99}$ (lower-case letters, digits, _ . -)",
				"/name invalid: must be 1 to 200 characters",
				"/description invalid: must be at most 2000 characters",
				"/example invalid: must be a JSON object",
			},
		},
		{
			name: "an example that breaks its schema in two places",
			in: registry.EventTypeInput{Slug: "order.paid", Name: "",
				Example: json.RawMessage(`{"id":"x"}`),
				Schema:  json.RawMessage(`{"type":"object","required":["total"],"properties":{"id":{"type":"integer"}}}`)},
			want: []string{
				"/name invalid: must be 1 to 200 characters",
				`/example unprocessable: does not satisfy the schema: data.id: must be an integer; data.total: missing required property "total"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.reg.CreateEventType(b.ctx, tt.in)
			got := problems(t, err)
			// The schema's own problem words come from the schema package;
			// only its place is checked here.
			if len(got) > 4 && strings.HasPrefix(got[4], "/schema unprocessable: ") {
				got = got[:4]
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestInvalidUTF8IsRefused: text that is not UTF-8 (a form in another
// encoding; the API's decoder refuses it earlier) is a field error, and
// nothing is stored, whatever the backend would have made of the bytes.
func TestInvalidUTF8IsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	bad := "Caf\xe9"
	url := "https://example.com/hooks"
	good := "Billing"
	_, _, err := b.reg.CreateWebhook(b.ctx, registry.WebhookInput{Name: &bad, URL: &url, Events: []string{"*"},
		Headers: map[string]string{"X-Team": "ok"}})
	wantProblems(t, err, "/name invalid: is not valid UTF-8 text")
	_, _, err = b.reg.CreateWebhook(b.ctx, registry.WebhookInput{Name: &good, URL: &url, Events: []string{"*"},
		Headers: map[string]string{"X-Team": bad}})
	wantProblems(t, err, "/headers invalid: a header is not valid UTF-8 text")
	page, err := b.store.WebhookList(b.ctx, store.WebhookListParams{Scope: auth.AllTenants(), Limit: 10})
	if err != nil || len(page.Webhooks) != 0 {
		t.Errorf("stored %d webhooks (%v)", len(page.Webhooks), err)
	}
	id := "acme"
	_, err = b.reg.CreateTenant(b.ctx, registry.TenantInput{ID: &id, Name: &bad})
	wantProblems(t, err, "/name invalid: is not valid UTF-8 text")
	_, err = b.reg.CreateTenant(b.ctx, registry.TenantInput{ID: &id, Metadata: map[string]string{"k": bad}})
	wantProblems(t, err, "/metadata invalid: is not valid UTF-8 text")
}
