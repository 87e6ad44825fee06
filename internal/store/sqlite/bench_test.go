package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/storetest"
	"github.com/hookline/hookline/internal/webhook"
)

func benchStore(b *testing.B, webhooks int) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	now := time.Now()
	types := []webhook.EventType{}
	for i := range 20 {
		types = append(types, webhook.EventType{Slug: fmt.Sprintf("t%d", i), Name: "T", Example: []byte(`{}`), CreatedAt: now})
	}
	if err := s.EventTypeSeed(ctx, types); err != nil {
		b.Fatal(err)
	}
	// One webhook on t0 (the published type), the others spread over
	// t1..t19: matching cost with many webhooks stored, not fan-out.
	// Created from 32 goroutines so group commit makes setup quick.
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= webhooks {
					return
				}
				typ := "t0"
				if i > 0 {
					typ = fmt.Sprintf("t%d", 1+i%19)
				}
				w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: "default", Name: "w",
					URL: "http://x.example/", Events: []string{typ}, Active: true,
					Format: webhook.FormatEnvelope, Integration: "manual", CreatedAt: now, UpdatedAt: now}
				if err := s.WebhookCreate(ctx, w, "whsec_x"); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return s
}

var data1K = []byte(`{"pad":"` + fmt.Sprintf("%01000d", 0) + `"}`)

// BenchmarkEventCreate measures durable ingest (event + matched deliveries,
// one fsync per group commit) from 32 concurrent publishers, with the given
// number of webhooks stored (one of them subscribed to the published type).
func BenchmarkEventCreate(b *testing.B) {
	for _, n := range []int{10, 100000} {
		b.Run(fmt.Sprintf("webhooks=%d", n), func(b *testing.B) {
			s := benchStore(b, n)
			ctx := context.Background()
			b.SetParallelism(16) // ×GOMAXPROCS publishers
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: "default", Type: "t0",
						Data: data1K, CreatedAt: time.Now()}
					if _, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAttemptRecordBatch measures storing attempt results in batches
// of 100, as the dispatcher's recorder does under load.
func BenchmarkAttemptRecordBatch(b *testing.B) {
	s := benchStore(b, 20)
	ctx := context.Background()
	var tasks []store.Task
	for range 100 {
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: "default", Type: "t0", Data: data1K, CreatedAt: time.Now()}
		res, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev})
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range res.Deliveries {
			tasks = append(tasks, store.Task{Delivery: d, Event: ev})
		}
	}
	var n atomic.Int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch := make([]store.AttemptResult, 0, 100)
		for j := range 100 {
			t := tasks[j%len(tasks)]
			batch = append(batch, store.AttemptResult{Outcome: store.OutcomeRetry, NextAttemptAt: time.Now().Add(time.Hour),
				Attempt: webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: t.Delivery.ID,
					WebhookID: t.Delivery.WebhookID, EventID: t.Event.ID, EventType: "t0", Number: int(n.Add(1)),
					StartedAt: time.Now(), StatusCode: 500, ErrorClass: webhook.ErrClassHTTPStatus, RequestBody: data1K}})
		}
		if err := s.AttemptRecord(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "attempts/s")
}

// BenchmarkRetainBatch measures retention writes: 1,000 expired events,
// each with its delivery and two attempts carrying 1 KiB request bodies,
// deleted in batches. One batch is one write, the longest that ingest and
// delivery wait behind retention: the metric ms/write.
func BenchmarkRetainBatch(b *testing.B) {
	for _, batch := range []int{100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchRetain(b, batch) })
	}
}

func benchRetain(b *testing.B, batch int) {
	s := benchStore(b, 1)
	ctx := context.Background()
	old := time.Now().Add(-48 * time.Hour)
	fill := func() {
		var results []store.AttemptResult
		for range 1000 {
			ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: "default", Type: "t0", Data: data1K, CreatedAt: old}
			res, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev})
			if err != nil {
				b.Fatal(err)
			}
			for _, d := range res.Deliveries {
				for n, outcome := range []store.Outcome{store.OutcomeRetry, store.OutcomeSucceeded} {
					results = append(results, store.AttemptResult{Outcome: outcome, NextAttemptAt: old.Add(time.Minute),
						Attempt: webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID,
							WebhookID: d.WebhookID, EventID: ev.ID, EventType: "t0", Number: n + 1, StartedAt: old,
							StatusCode: 200, RequestBody: data1K, ResponseBody: []byte("ok")}})
				}
			}
		}
		for len(results) > 0 {
			n := min(len(results), 500)
			// Two results of one delivery go in separate batches, in order.
			var first, second []store.AttemptResult
			for _, r := range results[:n] {
				if r.Outcome == store.OutcomeRetry {
					first = append(first, r)
				} else {
					second = append(second, r)
				}
			}
			for _, batch := range [][]store.AttemptResult{first, second} {
				if err := s.AttemptRecord(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			results = results[n:]
		}
	}
	var deleted int
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		fill()
		b.StartTimer()
		res, err := s.Retain(ctx, store.RetainParams{EventsBefore: old.Add(time.Hour), Batch: batch})
		if err != nil {
			b.Fatal(err)
		}
		deleted += res.Events
	}
	if deleted != b.N*1000 {
		b.Fatalf("deleted %d events, want %d", deleted, b.N*1000)
	}
	writes := b.N * (1000 / batch)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(writes), "ms/write")
}
