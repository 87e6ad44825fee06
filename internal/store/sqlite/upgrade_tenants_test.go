package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
)

// TestUpgradeMakesTenantRows opens a database holding webhooks, events
// and deliveries with tenant strings, as the release before tenants were
// rows wrote them (schema version 2), and checks that the upgrade gives
// each string a tenant row, named after it, with its webhooks counted.
func TestUpgradeMakesTenantRows(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append([]string{sqlite.FirstReleaseSchema}, sqlite.Upgrades[:2]...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("schema of the previous release: %v", err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 2`,
		`INSERT INTO webhooks (id, tenant, name, url, description, events, active, headers, format, integration,
			secret, created_at, updated_at) VALUES
			('wh_1', 'acme', 'a', 'https://receiver.example.com/a', '', '["*"]', 1, '{}', 'envelope', 'manual', 's', 1, 1),
			('wh_2', 'acme', 'b', 'https://receiver.example.com/b', '', '["*"]', 1, '{}', 'envelope', 'manual', 's', 1, 1)`,
		`INSERT INTO events (id, tenant, type, data, created_at)
			VALUES ('evt_1', 'acme', 'order.created', x'7b7d', 1), ('evt_2', 'globex:eu', 'order.created', x'7b7d', 1)`,
		// A delivery's tenant is its event's; one that were not is still
		// made a row.
		`INSERT INTO deliveries (id, tenant, event_id, event_type, webhook_id, status, created_at, updated_at)
			VALUES ('dlv_1', 'initech', 'evt_2', 'order.created', 'wh_gone', 'failed', 1, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("write as the previous release: %v\n%s", err, q)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	page, err := s.TenantList(t.Context(), store.TenantListParams{})
	if err != nil {
		t.Fatalf("TenantList: %v", err)
	}
	var got []string
	for _, tn := range page.Tenants {
		got = append(got, tn.ID)
		if tn.Name != tn.ID || tn.Metadata == nil || tn.Branding != nil || tn.CreatedAt.Unix() < 1e9 {
			t.Errorf("upgraded tenant %+v: want named after its ID, empty metadata, no branding, created at the upgrade", tn)
		}
		if want := map[string]int64{"acme": 2}[tn.ID]; tn.Webhooks != want {
			t.Errorf("upgraded tenant %s has %d webhooks, want %d", tn.ID, tn.Webhooks, want)
		}
	}
	if want := []string{"acme", "globex:eu", "initech"}; !slices.Equal(got, want) {
		t.Errorf("tenants after the upgrade: %v, want %v", got, want)
	}
}
