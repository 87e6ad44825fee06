package postgres_test

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/webhook"
)

// TestRowsOfThePreviousRelease writes a webhook and attempts the way the
// previous release does (without the columns added since), as its
// instances still do during a rolling upgrade, and reads them back.
func TestRowsOfThePreviousRelease(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	s := openStore(t, pgtest.URL(), schema)
	ctx := t.Context()
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	w := newWebhook()
	if _, err := pgtest.Admin(t).Exec(ctx, `INSERT INTO `+table("webhooks")+` (id, tenant, name, url, description,
		events, active, headers, format, integration, disabled_reason, secret, created_at, updated_at)
		VALUES ($1, 'default', 'old', 'https://receiver.example.com/in', '', '{*}', true, '{"X-Token": "t"}',
		'envelope', 'manual', '', 'sealed', $2, $2)`, w.ID, t0); err != nil {
		t.Fatalf("insert a webhook as the previous release: %v", err)
	}
	got, err := s.WebhookGet(ctx, auth.AllTenants(), w.ID)
	if err != nil {
		t.Fatalf("WebhookGet: %v", err)
	}
	if got.Destination.Type != webhook.DestinationHTTP || got.SecretHeaders == nil || len(got.SecretHeaders) != 0 {
		t.Errorf("webhook of the previous release: destination %+v, secret headers %#v; want http and none",
			got.Destination, got.SecretHeaders)
	}

	insert := func(id string, test bool, status int, class webhook.ErrorClass) {
		t.Helper()
		if _, err := pgtest.Admin(t).Exec(ctx, `INSERT INTO `+table("attempts")+` (id, delivery_id, webhook_id,
			event_id, event_type, number, test, started_at, duration_ms, url, request_headers, request_body,
			status_code, response_headers, response_body, response_truncated, error_class, error)
			VALUES ($1, NULL, $2, 'evt_old', 'order.created', 1, $3, $4, 1, 'https://receiver.example.com/in',
			'{}', '', $5, '{}', '', false, $6, '')`, id, w.ID, test, t0, status, string(class)); err != nil {
			t.Fatalf("insert an attempt as the previous release: %v", err)
		}
	}
	insert("att_1", true, 200, webhook.ErrClassNone)
	insert("att_2", false, 410, webhook.ErrClassHTTPStatus)
	insert("att_3", false, 0, webhook.ErrClassTimeout)
	atts, err := s.AttemptListByWebhook(ctx, auth.AllTenants(), w.ID, 10)
	if err != nil {
		t.Fatalf("AttemptListByWebhook: %v", err)
	}
	type record struct {
		dest    string
		outcome webhook.AttemptOutcome
		answer  string
	}
	var recs []record
	for _, a := range atts {
		recs = append(recs, record{a.Destination, a.Outcome, a.Answer})
	}
	want := []record{ // newest first
		{webhook.DestinationHTTP, "", "timed out"},
		{webhook.DestinationHTTP, webhook.OutcomeDisabled, "410 Gone"},
		{webhook.DestinationHTTP, webhook.OutcomeDelivered, "200 OK"},
	}
	if !slices.Equal(recs, want) {
		t.Errorf("attempts of the previous release read back as %+v, want %+v", recs, want)
	}
}

// TestTenantScopeOfThePreviousRelease writes a key, a bin and an audit
// entry as the previous release does (without a tenant): the key acts on
// every tenant, the bin is the default tenant's, the entry the operator's.
func TestTenantScopeOfThePreviousRelease(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	s := openStore(t, pgtest.URL(), schema)
	ctx := t.Context()
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	for _, q := range []string{
		`INSERT INTO ` + table("api_keys") + ` (id, name, prefix, hash, scopes, created_at) VALUES ('key_old', 'old', 'hkl_ab', '\x01', '{admin}', $1)`,
		`INSERT INTO ` + table("bins") + ` (id, token, name, max_requests, created_at, expires_at) VALUES ('bin_old', 'tok', 'old', 10, $1, $1)`,
		`INSERT INTO ` + table("audit_log") + ` (id, at, actor, action, target, detail) VALUES ('aud_old', $1, 'system', 'key.create', 'key_old', 'old')`,
	} {
		if _, err := pgtest.Admin(t).Exec(ctx, q, t0); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	keys, err := s.APIKeyList(ctx, auth.AllTenants())
	if err != nil || len(keys) != 1 || keys[0].Tenant != "" || !auth.KeyPrincipal(keys[0]).Scope.All() {
		t.Errorf("key of the previous release: %+v, %v; want a key of every tenant", keys, err)
	}
	b, err := s.BinGet(ctx, auth.TenantScope(webhook.DefaultTenant), "bin_old")
	if err != nil || b.Tenant != webhook.DefaultTenant {
		t.Errorf("bin of the previous release: %+v, %v; want the default tenant's", b, err)
	}
	page, err := s.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants()})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Tenant != "" {
		t.Errorf("audit entry of the previous release: %+v, %v; want the operator's", page.Entries, err)
	}
}
