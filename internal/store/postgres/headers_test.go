package postgres_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// Headers stored in clear by an earlier release are sealed when the next
// instance opens the database, and read back the same.
func TestPlainHeadersSealedAtStart(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	s := openStore(t, pgtest.URL(), schema)
	ctx := t.Context()
	w := newWebhook()
	if err := s.WebhookCreate(ctx, w, "whsec_x"); err != nil {
		t.Fatal(err)
	}
	table := pgx.Identifier{schema, "webhooks"}.Sanitize()
	admin := pgtest.Admin(t)
	if _, err := admin.Exec(ctx, `UPDATE `+table+` SET headers = '{"X-Api-Key":"cGxhaW4taGVhZGVyLWNhbmFyeQ"}' WHERE id = $1`,
		w.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.WebhookGet(ctx, auth.AllTenants(), w.ID); err != nil || got.Headers["X-Api-Key"] != "cGxhaW4taGVhZGVyLWNhbmFyeQ" {
		t.Fatalf("WebhookGet of a plain row: %v, %v", got.Headers, err)
	}
	other := openStore(t, pgtest.URL(), schema)
	if got, err := other.WebhookGet(ctx, auth.AllTenants(), w.ID); err != nil || got.Headers["X-Api-Key"] != "cGxhaW4taGVhZGVyLWNhbmFyeQ" {
		t.Fatalf("WebhookGet after the next start: %v, %v", got.Headers, err)
	}
	var row string
	if err := admin.QueryRow(ctx, `SELECT headers::text FROM `+table+` WHERE id = $1`, w.ID).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row, "cGxhaW4taGVhZGVyLWNhbmFyeQ") {
		t.Errorf("headers still in clear after the next start: %s", row)
	}
}
