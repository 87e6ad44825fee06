package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
)

// TestUpgradeFillsRollup writes attempts into a database of the release
// before the rollup and checks what the upgrade fills it with: the last
// 31 days' attempts but test sends, a NULL outcome counted as the end of a
// delivery only when it plainly was one (410), an attempt ended unsent
// only as a failed delivery.
func TestUpgradeFillsRollup(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	exec(sqlite.FirstReleaseSchema)
	for _, u := range sqlite.Upgrades[:11] {
		exec(u)
	}
	exec(`PRAGMA user_version = 11`)
	minute := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Hour)
	exec(`INSERT INTO webhooks (id, tenant, name, url, description, events, active, headers, format, integration,
		secret, created_at, updated_at) VALUES ('wh_old', 'acme', 'old', 'https://receiver.example.com/in', '', '["*"]',
		1, '{}', 'envelope', 'manual', 'sealed', 1, 1)`)
	exec(`INSERT INTO events (id, tenant, type, data, created_at) VALUES ('evt_old', 'acme', 'order.created', x'7b7d', 1)`)
	exec(`INSERT INTO deliveries (id, tenant, event_id, event_type, webhook_id, status, created_at, updated_at)
		VALUES ('dlv_1', 'acme', 'evt_old', 'order.created', 'wh_old', 'succeeded', 1, 1),
		('dlv_2', 'acme', 'evt_old', 'order.created', 'wh_old', 'failed', 1, 1)`)
	for i, a := range rollupFixture(minute) {
		var dlv any
		if !a.test {
			dlv = a.delivery
		}
		exec(`INSERT INTO attempts (id, delivery_id, webhook_id, event_id, event_type, number, test, started_at,
			duration_ms, url, request_headers, request_body, status_code, response_headers, response_body,
			response_truncated, error_class, error, destination, outcome) VALUES (?, ?, 'wh_old', 'evt_old',
			'order.created', ?, ?, ?, ?, 'https://receiver.example.com/in', '{}', x'', ?, '{}', x'', 0, ?, '', ?, ?)`,
			"att_"+string(rune('a'+i)), dlv, a.number, a.test, a.started.UnixMicro(), a.ms, a.status, a.class,
			a.dest, a.outcome)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	rows, err := s.Stats(t.Context(), store.StatsParams{Scope: auth.TenantScope("acme"), From: minute.Add(-24 * time.Hour),
		To: minute.Add(24 * time.Hour), Bucket: 48 * time.Hour})
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	checkRollupFixture(t, rows, minute.Add(-24*time.Hour))
}

// rollupAttempt is an attempt as an older release stored it.
type rollupAttempt struct {
	delivery      string
	number        int
	test          bool
	started       time.Time
	ms            float64
	status        int
	class         string
	dest, outcome any // NULL before outcomes were recorded
}

func rollupFixture(minute time.Time) []rollupAttempt {
	return []rollupAttempt{
		{"dlv_1", 1, false, minute, 100, 503, "http_status", "http", "retry"},
		{"dlv_1", 2, false, minute.Add(time.Second), 50, 200, "", "http", "delivered"},
		{"dlv_2", 1, false, minute.Add(2 * time.Second), 7, 410, "http_status", nil, nil},
		{"dlv_2", 2, false, minute.Add(3 * time.Second), 0, 0, "cancelled", "http", "failed"},
		{"", 1, true, minute, 9, 500, "http_status", "http", "failed"},
		{"dlv_1", 1, false, minute.Add(-40 * 24 * time.Hour), 5, 200, "", "http", "delivered"},
		// Alone in its minute: a failure from before outcomes were kept.
		{"dlv_1", 1, false, minute.Add(-time.Hour), 20, 503, "http_status", nil, nil},
	}
}

func checkRollupFixture(t *testing.T, rows []store.StatsRow, start time.Time) {
	t.Helper()
	var lat store.Latency
	lat.Add(100)
	lat.Add(50)
	lat.Add(7)
	lat.Add(20)
	want := store.StatsRow{Start: start, Counts: store.Counts{Delivered: 1, Failed: 2, Attempts: 4, FailedAttempts: 3, Retried: 1}, Latency: lat}
	if len(rows) != 1 || !rows[0].Start.Equal(want.Start) || rows[0].Counts != want.Counts || rows[0].Latency != want.Latency {
		t.Errorf("rollup after the upgrade:\n got %+v\nwant [%+v]", rows, want)
	}
}
