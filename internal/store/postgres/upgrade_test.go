package postgres_test

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// TestUpgradeMakesTenantRows migrates a schema as far as the release
// before tenants were rows, writes webhooks, events and deliveries there
// with tenant strings, and checks that the upgrade gives each string a
// tenant row (named after it, with its webhooks counted) and keeps them
// working.
func TestUpgradeMakesTenantRows(t *testing.T) {
	t.Parallel()
	schema := pgtest.SchemaName(t, "hl_upgrade_")
	ctx := t.Context()
	if err := postgres.MigrateTo(ctx, pgtest.URL(), schema, 4); err != nil {
		t.Fatalf("migrate to 4: %v", err)
	}
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	db := pgtest.Admin(t)
	for _, q := range []string{
		`INSERT INTO ` + table("webhooks") + ` (id, tenant, name, url, description, events, active, headers,
			format, integration, disabled_reason, secret, created_at, updated_at)
			VALUES ('wh_1', 'acme', 'a', 'https://receiver.example.com/a', '', '{*}', true, '{}',
			'envelope', 'manual', '', 'sealed', now(), now()),
			('wh_2', 'acme', 'b', 'https://receiver.example.com/b', '', '{*}', true, '{}',
			'envelope', 'manual', '', 'sealed', now(), now())`,
		`INSERT INTO ` + table("events") + ` (id, tenant, type, data, created_at)
			VALUES ('evt_1', 'acme', 'order.created', '{}', now()), ('evt_2', 'globex:eu', 'order.created', '{}', now())`,
		// A delivery's tenant is its event's; one that were not is still
		// made a row.
		`INSERT INTO ` + table("deliveries") + ` (id, tenant, event_id, event_type, webhook_id, status,
			created_at, updated_at) VALUES ('dlv_1', 'initech', 'evt_2', 'order.created', 'wh_gone', 'failed', now(), now())`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("write as the previous release: %v\n%s", err, q)
		}
	}

	s := openStore(t, pgtest.URL(), schema)
	page, err := s.TenantList(ctx, store.TenantListParams{})
	if err != nil {
		t.Fatalf("TenantList: %v", err)
	}
	var got []string
	for _, tn := range page.Tenants {
		got = append(got, tn.ID)
		if tn.Name != tn.ID || tn.Metadata == nil || tn.Branding != nil || tn.CreatedAt.IsZero() {
			t.Errorf("upgraded tenant %+v: want named after its ID, empty metadata, no branding, a creation time", tn)
		}
		if want := map[string]int64{"acme": 2}[tn.ID]; tn.Webhooks != want {
			t.Errorf("upgraded tenant %s has %d webhooks, want %d", tn.ID, tn.Webhooks, want)
		}
	}
	if want := []string{"acme", "globex:eu", "initech"}; !slices.Equal(got, want) {
		t.Errorf("tenants after the upgrade: %v, want %v", got, want)
	}
}
