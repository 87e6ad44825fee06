package sqlite_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/storetest"
)

// statsBenchHooks are the dataset's webhooks: the first has a million
// attempts over 30 days (about 23 a minute); each of the other 99 has
// 1,000, scattered (one per minute), so the whole server has 1,099,000
// attempts and about 140,000 rollup rows.
const (
	statsBenchHooks     = 100
	statsBenchBusy      = 1_000_000
	statsBenchQuietEach = 1_000
)

// seedStatsBench writes the dataset as attempts into a database of the
// release before the rollup, then opens it: the upgrade fills the rollup
// from the attempts, and its time is reported.
func seedStatsBench(b *testing.B) (*sqlite.Store, time.Time) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "stats.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	exec := func(tx interface {
		Exec(string, ...any) (sql.Result, error)
	}, q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	exec(db, sqlite.FirstReleaseSchema)
	for _, u := range sqlite.Upgrades[:8] {
		exec(db, u)
	}
	exec(db, `PRAGMA user_version = 8`)
	now := time.Now().UTC()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	exec(tx, `INSERT INTO events (id, tenant, type, data, created_at) VALUES ('evt_b', 'acme', 't', x'7b7d', 1)`)
	for h := range statsBenchHooks {
		exec(tx, `INSERT INTO webhooks (id, tenant, name, url, description, events, active, headers, format, integration,
			secret, created_at, updated_at) VALUES (?, 'acme', 'w', 'https://x.example/', '', '["*"]', 1, '{}', 'envelope',
			'manual', 'sealed', 1, 1)`, fmt.Sprintf("wh_%03d", h))
		exec(tx, `INSERT INTO deliveries (id, tenant, event_id, event_type, webhook_id, status, created_at, updated_at)
			VALUES (?, 'acme', 'evt_b', 't', ?, 'succeeded', 1, 1)`, fmt.Sprintf("dlv_%03d", h), fmt.Sprintf("wh_%03d", h))
	}
	ins, err := tx.Prepare(`INSERT INTO attempts (id, delivery_id, webhook_id, event_id, event_type, number, test,
		started_at, duration_ms, url, request_headers, request_body, status_code, response_headers, response_body,
		response_truncated, error_class, error, destination, outcome) VALUES (?, ?, ?, 'evt_b', 't', ?, 0, ?, ?,
		'https://x.example/', '{}', x'', ?, '{}', x'', 0, ?, '', 'http', ?)`)
	if err != nil {
		b.Fatal(err)
	}
	seeding := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	span := int64(30 * 24 * time.Hour / time.Microsecond)
	n := 0
	add := func(h int) {
		n++
		status, class, outcome, number := 200, "", "delivered", 1
		if rng.IntN(20) == 0 {
			status, class, outcome, number = 503, "http_status", "retry", 1+rng.IntN(3)
		}
		start := now.UnixMicro() - rng.Int64N(span)
		if _, err := ins.Exec(fmt.Sprintf("att_%09d", n), fmt.Sprintf("dlv_%03d", h), fmt.Sprintf("wh_%03d", h), number,
			start, 5+rng.ExpFloat64()*80, status, class, outcome); err != nil {
			b.Fatal(err)
		}
	}
	for range statsBenchBusy {
		add(0)
	}
	for h := 1; h < statsBenchHooks; h++ {
		for range statsBenchQuietEach {
			add(h)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %d attempts in %s", n, time.Since(seeding).Round(time.Millisecond))
	began := time.Now()
	s, err := sqlite.Open(path, sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var rows int64
	if err := s.DB().QueryRow(`SELECT count(*) FROM attempt_rollup`).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	b.Logf("upgrade filled %d rollup rows from %d attempts in %s", rows, n, time.Since(began).Round(time.Millisecond))
	return s, now
}

// BenchmarkStats30Days reads a 30-day chart from the rollup: one busy
// webhook's (a million attempts), and the whole server's (1.1 million
// attempts of 100 webhooks) in 6-hour and 1-hour buckets. For comparison,
// ScanAttempts counts the busy webhook's chart from the attempts
// themselves (counts only: no percentiles), as it would be without the
// rollup.
func BenchmarkStats30Days(b *testing.B) {
	s, now := seedStatsBench(b)
	ctx := b.Context()
	from := now.Truncate(6 * time.Hour).Add(6*time.Hour - 30*24*time.Hour)
	for _, c := range []struct {
		name   string
		hooks  []string
		bucket time.Duration
	}{
		{"webhook/6h", []string{"wh_000"}, 6 * time.Hour},
		{"webhook/1h", []string{"wh_000"}, time.Hour},
		{"server/6h", nil, 6 * time.Hour},
		{"server/1h", nil, time.Hour},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := store.StatsParams{Scope: auth.AllTenants(), WebhookIDs: c.hooks, From: from, To: from.Add(30 * 24 * time.Hour), Bucket: c.bucket}
			for b.Loop() {
				rows, err := s.Stats(ctx, p)
				if err != nil || len(rows) == 0 {
					b.Fatal(err, len(rows))
				}
			}
		})
	}
	b.Run("webhook/6h/ScanAttempts", func(b *testing.B) {
		for b.Loop() {
			rows, err := s.DB().QueryContext(ctx, `SELECT (started_at - ?) / 21600000000 AS b, count(*),
				sum(outcome = 'delivered'), sum(error_class <> ''), sum(number > 1)
				FROM attempts WHERE webhook_id = 'wh_000' AND test = 0 AND started_at >= ? GROUP BY b`,
				from.UnixMicro(), from.UnixMicro())
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if n == 0 {
				b.Fatal("no buckets")
			}
		}
	})
}
