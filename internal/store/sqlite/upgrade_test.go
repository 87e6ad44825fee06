package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/webhook"
)

// TestUpgradeKeepsOlderAttempts opens a first-release database holding a
// webhook and attempts, and checks how they read after the upgrade:
// destination http, no secret headers, and the outcome and answer that
// store.FillOlderAttempt derives.
func TestUpgradeKeepsOlderAttempts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(sqlite.FirstReleaseSchema); err != nil {
		t.Fatalf("first release schema: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO webhooks (id, tenant, name, url, description, events, active, headers,
		format, integration, secret, created_at, updated_at)
		VALUES ('wh_old', 'default', 'old', 'https://receiver.example.com/in', '', '["*"]', 1, '{"X-Token":"t"}',
		'envelope', 'manual', 'sealed', 1, 1)`); err != nil {
		t.Fatalf("insert an old webhook: %v", err)
	}
	for _, a := range []struct {
		id     string
		test   int
		status int
		class  webhook.ErrorClass
	}{
		{"att_1", 1, 500, webhook.ErrClassHTTPStatus},
		{"att_2", 0, 204, webhook.ErrClassNone},
		{"att_3", 0, 0, webhook.ErrClassConnectionRefused},
	} {
		if _, err := db.Exec(`INSERT INTO attempts (id, delivery_id, webhook_id, event_id, event_type, number,
			test, started_at, duration_ms, url, request_headers, request_body, status_code, response_headers,
			response_body, response_truncated, error_class, error)
			VALUES (?, NULL, 'wh_old', 'evt_old', 'order.created', 1, ?, 1, 1, 'https://receiver.example.com/in',
			'{}', x'', ?, '{}', x'', 0, ?, '')`, a.id, a.test, a.status, string(a.class)); err != nil {
			t.Fatalf("insert an old attempt: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	ctx := t.Context()
	w, err := s.WebhookGet(ctx, auth.AllTenants(), "wh_old")
	if err != nil {
		t.Fatalf("WebhookGet: %v", err)
	}
	if w.Destination.Type != webhook.DestinationHTTP || w.SecretHeaders == nil || len(w.SecretHeaders) != 0 {
		t.Errorf("old webhook: destination %+v, secret headers %#v; want http and none", w.Destination, w.SecretHeaders)
	}
	atts, err := s.AttemptListByWebhook(ctx, auth.AllTenants(), "wh_old", 10)
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
		{webhook.DestinationHTTP, "", "connection refused"},
		{webhook.DestinationHTTP, webhook.OutcomeDelivered, "204 No Content"},
		{webhook.DestinationHTTP, webhook.OutcomeFailed, "500 Internal Server Error"},
	}
	if !slices.Equal(recs, want) {
		t.Errorf("old attempts read back as %+v, want %+v", recs, want)
	}
}

// TestUpgradeTenantScope opens a first-release database holding a key, a
// bin and an audit entry: after the upgrade the key still acts on every
// tenant, the bin is the default tenant's and the entry the operator's.
func TestUpgradeTenantScope(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(sqlite.FirstReleaseSchema); err != nil {
		t.Fatalf("first release schema: %v", err)
	}
	for _, q := range []string{
		`INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at) VALUES ('key_old', 'old', 'hkl_ab', x'01', '["admin"]', 1)`,
		`INSERT INTO bins (id, token, name, max_requests, created_at, expires_at) VALUES ('bin_old', 'tok', 'old', 10, 1, 4102444800000000)`,
		`INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES ('aud_old', 1, 'system', 'key.create', 'key_old', 'old')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	ctx := t.Context()
	keys, err := s.APIKeyList(ctx, auth.AllTenants())
	if err != nil || len(keys) != 1 || keys[0].Tenant != "" || !auth.KeyPrincipal(keys[0]).Scope.All() {
		t.Errorf("old key after the upgrade: %+v, %v; want a key of every tenant", keys, err)
	}
	b, err := s.BinGet(ctx, auth.TenantScope(webhook.DefaultTenant), "bin_old")
	if err != nil || b.Tenant != webhook.DefaultTenant {
		t.Errorf("old bin after the upgrade: %+v, %v; want the default tenant's", b, err)
	}
	page, err := s.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants()})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Tenant != "" {
		t.Errorf("old audit entry after the upgrade: %+v, %v; want the operator's", page.Entries, err)
	}
}
