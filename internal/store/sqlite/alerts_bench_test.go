package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/storetest"
	"github.com/hookline/hookline/internal/webhook"
)

// BenchmarkAttemptFailureRates is the alert leader's check on a busy
// server: 200,000 attempts in the 15-minute window over 100 webhooks, two
// of which fail (see BENCHMARKS.md).
func BenchmarkAttemptFailureRates(b *testing.B) {
	const hooks, attempts, failing = 100, 200_000, 2
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	deliveries := make([]webhook.Delivery, hooks)
	for i := range hooks {
		w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: fmt.Sprintf("t%d", i), Name: "w",
			URL: "http://x.example/", Events: []string{"*"}, Active: true, Format: webhook.FormatEnvelope,
			Integration: "manual", CreatedAt: now, UpdatedAt: now}
		if err := s.WebhookCreate(ctx, w, "whsec_x"); err != nil {
			b.Fatal(err)
		}
		res, err := s.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{ID: webhook.NewID(webhook.PrefixEvent),
			Tenant: w.Tenant, Type: "t", Data: json.RawMessage(`{}`), CreatedAt: now}})
		if err != nil || len(res.Deliveries) != 1 {
			b.Fatal(err)
		}
		deliveries[i] = res.Deliveries[0]
	}
	start := now.Add(-15 * time.Minute)
	batch := make([]store.AttemptResult, 0, 1000)
	for n := range attempts {
		d := deliveries[n%hooks]
		a := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: d.WebhookID,
			EventID: d.EventID, EventType: d.EventType, Number: 1, URL: "http://x.example/",
			StartedAt: start.Add(time.Duration(n) * 15 * time.Minute / attempts), StatusCode: 200}
		if n%hooks < failing {
			a.StatusCode, a.ErrorClass = 500, webhook.ErrClassHTTPStatus
		}
		batch = append(batch, store.AttemptResult{Attempt: a, Outcome: store.OutcomeRetry, NextAttemptAt: now.Add(time.Hour)})
		if len(batch) == cap(batch) {
			if err := s.AttemptRecord(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rates, err := s.AttemptFailureRates(ctx, start, 10)
		if err != nil || len(rates) != failing {
			b.Fatalf("%d rates, %v", len(rates), err)
		}
	}
}
