package registry_test

import (
	"encoding/json"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// TestRateLimitValidation: a rate limit is stored as given, removed by
// null or an empty object, and each bad value is a problem at its JSON
// pointer.
func TestRateLimitValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	tests := []struct {
		raw  string
		want *webhook.RateLimit
		errs []string
	}{
		{raw: `{"per_second": 50}`, want: &webhook.RateLimit{PerSecond: 50}},
		{raw: `{"per_minute": 600}`, want: &webhook.RateLimit{PerMinute: 600}},
		{raw: `null`},
		{raw: `{}`},
		{raw: `{"per_second": 0}`},
		{raw: `{"per_second": 1001}`, errs: []string{"/rate_limit/per_second invalid: must be from 1 to 1000 requests a second"}},
		{raw: `{"per_minute": -1}`, errs: []string{"/rate_limit/per_minute invalid: must be from 1 to 60000 requests a minute"}},
		{raw: `{"per_second": 5, "per_minute": 60}`, errs: []string{"/rate_limit invalid: set per_second or per_minute, not both"}},
		{raw: `{"per_hour": 5}`, errs: []string{`/rate_limit invalid: must be an object {"per_second": n} or {"per_minute": n} with a whole number n`}},
		{raw: `{"per_second": 1.5}`, errs: []string{`/rate_limit invalid: must be an object {"per_second": n} or {"per_minute": n} with a whole number n`}},
		{raw: `"50/s"`, errs: []string{`/rate_limit invalid: must be an object {"per_second": n} or {"per_minute": n} with a whole number n`}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			in := b.validInput()
			in.RateLimit = json.RawMessage(tt.raw)
			w, _, err := b.reg.CreateWebhook(b.ctx, in)
			if tt.errs != nil {
				wantProblems(t, err, tt.errs...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (got.RateLimit == nil) != (tt.want == nil) || (got.RateLimit != nil && *got.RateLimit != *tt.want) {
				t.Fatalf("stored %+v, want %+v", got.RateLimit, tt.want)
			}
		})
	}
	// An update without the field keeps it; null removes it.
	in := b.validInput()
	in.RateLimit = json.RawMessage(`{"per_second": 5}`)
	w, _ := b.create(t, in)
	w, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Name: ptr("Renamed")})
	if err != nil || w.RateLimit == nil || w.RateLimit.PerSecond != 5 {
		t.Fatalf("after an update of the name: %+v, %v", w.RateLimit, err)
	}
	w, err = b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{RateLimit: json.RawMessage("null")})
	if err != nil || w.RateLimit != nil {
		t.Fatalf("after null: %+v, %v", w.RateLimit, err)
	}
}
