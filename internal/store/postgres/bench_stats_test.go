package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/store/storetest"
)

// BenchmarkStats30Days is the SQLite benchmark of the same name on
// PostgreSQL: the same dataset (one webhook with a million attempts over
// 30 days, 99 with 1,000 each) written as attempts into a schema of the
// release before the rollup, filled by migration 0011 at Open (its time
// logged), then 30-day charts read from the rollup.
func BenchmarkStats30Days(b *testing.B) {
	ctx := b.Context()
	schema := pgtest.SchemaName(b, "hl_bench_")
	if err := postgres.MigrateTo(ctx, pgtest.URL(), schema, 10); err != nil {
		b.Fatal(err)
	}
	db := pgtest.Admin(b)
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	if _, err := db.Exec(ctx, `INSERT INTO `+table("events")+` (id, tenant, type, data, created_at)
		VALUES ('evt_b', 'acme', 't', '{}', now())`); err != nil {
		b.Fatal(err)
	}
	const hooks, busy, quiet = 100, 1_000_000, 1_000
	for h := range hooks {
		if _, err := db.Exec(ctx, `INSERT INTO `+table("webhooks")+` (id, tenant, name, url, description, events, active,
			headers, format, integration, disabled_reason, secret, created_at, updated_at)
			VALUES ($1, 'acme', 'w', 'https://x.example/', '', '{*}', true, '{}', 'envelope', 'manual', '', 'sealed', now(), now())`,
			fmt.Sprintf("wh_%03d", h)); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO `+table("deliveries")+` (id, tenant, event_id, event_type, webhook_id, status,
			created_at, updated_at) VALUES ($1, 'acme', 'evt_b', 't', $2, 'succeeded', now(), now())`,
			fmt.Sprintf("dlv_%03d", h), fmt.Sprintf("wh_%03d", h)); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	span := int64(30 * 24 * time.Hour)
	var rows [][]any
	add := func(h int) {
		status, class, outcome, number := 200, "", "delivered", 1
		if rng.IntN(20) == 0 {
			status, class, outcome, number = 503, "http_status", "retry", 1+rng.IntN(3)
		}
		rows = append(rows, []any{fmt.Sprintf("att_%09d", len(rows)), fmt.Sprintf("dlv_%03d", h), fmt.Sprintf("wh_%03d", h),
			"evt_b", "t", number, false, now.Add(-time.Duration(rng.Int64N(span))), 5 + rng.ExpFloat64()*80,
			"https://x.example/", "{}", []byte{}, status, "{}", []byte{}, false, class, "", "http", outcome})
	}
	for range busy {
		add(0)
	}
	for h := 1; h < hooks; h++ {
		for range quiet {
			add(h)
		}
	}
	if _, err := db.CopyFrom(ctx, pgx.Identifier{schema, "attempts"}, []string{"id", "delivery_id", "webhook_id",
		"event_id", "event_type", "number", "test", "started_at", "duration_ms", "url", "request_headers", "request_body",
		"status_code", "response_headers", "response_body", "response_truncated", "error_class", "error", "destination",
		"outcome"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(ctx, `ANALYZE `+table("attempts")); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	s, err := postgres.Open(ctx, pgtest.URL(), postgres.Options{Sealer: storetest.Sealer{}, Schema: schema, MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var n int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM `+table("attempt_rollup")).Scan(&n); err != nil {
		b.Fatal(err)
	}
	b.Logf("migration filled %d rollup rows from %d attempts in %s", n, len(rows), time.Since(began).Round(time.Millisecond))
	if _, err := db.Exec(ctx, `ANALYZE `+table("attempt_rollup")); err != nil {
		b.Fatal(err)
	}

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
			rows, err := db.Query(ctx, `SELECT floor(extract(epoch FROM started_at - $1) / 21600) AS b, count(*),
				count(*) FILTER (WHERE outcome = 'delivered'), count(*) FILTER (WHERE error_class <> ''),
				count(*) FILTER (WHERE number > 1)
				FROM `+table("attempts")+` WHERE webhook_id = 'wh_000' AND NOT test AND started_at >= $1 GROUP BY b`, from)
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
