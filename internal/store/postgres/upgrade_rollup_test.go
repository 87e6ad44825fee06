package postgres_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// TestUpgradeFillsRollup writes attempts into a schema of the release
// before the rollup and checks what the migration fills it with, exactly
// as the SQLite upgrade does (see its test of the same name).
func TestUpgradeFillsRollup(t *testing.T) {
	t.Parallel()
	schema := pgtest.SchemaName(t, "hl_rollup_")
	ctx := t.Context()
	if err := postgres.MigrateTo(ctx, pgtest.URL(), schema, 14); err != nil {
		t.Fatalf("migrate to 14: %v", err)
	}
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	db := pgtest.Admin(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	exec(`INSERT INTO ` + table("webhooks") + ` (id, tenant, name, url, description, events, active, headers,
		format, integration, disabled_reason, secret, created_at, updated_at)
		VALUES ('wh_old', 'acme', 'old', 'https://receiver.example.com/in', '', '{*}', true, '{}',
		'envelope', 'manual', '', 'sealed', now(), now())`)
	exec(`INSERT INTO ` + table("events") + ` (id, tenant, type, data, created_at) VALUES ('evt_old', 'acme', 'order.created', '{}', now())`)
	exec(`INSERT INTO ` + table("deliveries") + ` (id, tenant, event_id, event_type, webhook_id, status, created_at, updated_at)
		VALUES ('dlv_1', 'acme', 'evt_old', 'order.created', 'wh_old', 'succeeded', now(), now()),
		('dlv_2', 'acme', 'evt_old', 'order.created', 'wh_old', 'failed', now(), now())`)
	minute := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Hour)
	type attempt struct {
		delivery      *string
		number        int
		test          bool
		started       time.Time
		ms            float64
		status        int
		class         string
		dest, outcome *string
	}
	str := func(s string) *string { return &s }
	d1, d2 := str("dlv_1"), str("dlv_2")
	for i, a := range []attempt{
		{d1, 1, false, minute, 100, 503, "http_status", str("http"), str("retry")},
		{d1, 2, false, minute.Add(time.Second), 50, 200, "", str("http"), str("delivered")},
		{d2, 1, false, minute.Add(2 * time.Second), 7, 410, "http_status", nil, nil},
		{d2, 2, false, minute.Add(3 * time.Second), 0, 0, "cancelled", str("http"), str("failed")},
		{nil, 1, true, minute, 9, 500, "http_status", str("http"), str("failed")},
		{d1, 1, false, minute.Add(-40 * 24 * time.Hour), 5, 200, "", str("http"), str("delivered")},
		// Alone in its minute: a failure from before outcomes were kept.
		{d1, 1, false, minute.Add(-time.Hour), 20, 503, "http_status", nil, nil},
	} {
		exec(`INSERT INTO `+table("attempts")+` (id, delivery_id, webhook_id, event_id, event_type, number, test,
			started_at, duration_ms, url, request_headers, request_body, status_code, response_headers, response_body,
			response_truncated, error_class, error, destination, outcome) VALUES ($1, $2, 'wh_old', 'evt_old',
			'order.created', $3, $4, $5, $6, 'https://receiver.example.com/in', '{}', '', $7, '{}', '', false, $8, '', $9, $10)`,
			"att_"+string(rune('a'+i)), a.delivery, a.number, a.test, a.started, a.ms, a.status, a.class, a.dest, a.outcome)
	}

	s := openStore(t, pgtest.URL(), schema)
	from := minute.Add(-24 * time.Hour)
	rows, err := s.Stats(ctx, store.StatsParams{Scope: auth.TenantScope("acme"), From: from, To: minute.Add(24 * time.Hour),
		Bucket: 48 * time.Hour})
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	var lat store.Latency
	lat.Add(100)
	lat.Add(50)
	lat.Add(7)
	lat.Add(20)
	want := store.StatsRow{Start: from, Counts: store.Counts{Delivered: 1, Failed: 2, Attempts: 4, FailedAttempts: 3, Retried: 1}, Latency: lat}
	if len(rows) != 1 || !rows[0].Start.Equal(want.Start) || rows[0].Counts != want.Counts || rows[0].Latency != want.Latency {
		t.Errorf("rollup after the migration:\n got %+v\nwant [%+v]", rows, want)
	}
}

// TestRollupMigrationBins checks that the migration bins durations with
// the bounds the Go code uses (store.LatencyBinSQL).
func TestRollupMigrationBins(t *testing.T) {
	b, err := os.ReadFile("migrations/0015_attempt_rollup.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), store.LatencyBinSQL("duration_ms")+" AS bin") {
		t.Error("migrations/0015_attempt_rollup.sql does not bin durations as store.LatencyBinSQL does: write its ladder again")
	}
}
