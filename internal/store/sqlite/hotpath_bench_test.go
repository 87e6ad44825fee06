package sqlite_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// BenchmarkHotPath is the store's share of one event's life in the
// server, as `hookline bench --rate 0` drives it: 32 publishers store an
// event with its deliveries leased to them (group commit), and one
// recorder stores the successful attempts in batches of what has
// gathered, as the dispatcher's recorder does. One op is one event.
//
// Besides ns/op (wall time, which the machine's load moves), it reports
// the process's CPU time per 1,000 events (cpu-ms/1k-events), the figure
// to compare between builds on a shared machine, the group commits per
// event and the statements per event (those run through the store's
// hot-path helpers, savepoints aside).
//
// body=copy stores each attempt's request body, as attempts did before
// the store kept the event's body by reference (body=ref, what the
// senders' attempts ask for now: webhook.Attempt.RequestBodyOf).
func BenchmarkHotPath(b *testing.B) {
	for _, w := range []int{1, 10} {
		for _, ref := range []bool{false, true} {
			name := fmt.Sprintf("webhooks=%d/body=copy", w)
			if ref {
				name = fmt.Sprintf("webhooks=%d/body=ref", w)
			}
			b.Run(name, func(b *testing.B) { benchHotPath(b, w, ref) })
		}
	}
}

func benchHotPath(b *testing.B, webhooks int, ref bool) {
	s := benchStore(b, 0)
	ctx := context.Background()
	now := time.Now()
	for range webhooks {
		h := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: "default", Name: "w",
			URL: "http://x.example/", Events: []string{"t0"}, Active: true,
			Format: webhook.FormatEnvelope, Integration: "manual", CreatedAt: now, UpdatedAt: now}
		if err := s.WebhookCreate(ctx, h, "whsec_x"); err != nil {
			b.Fatal(err)
		}
	}
	reqHeaders := http.Header{
		"Content-Type": {"application/json"}, "User-Agent": {"Hookline-Webhooks/1.0"},
		"Webhook-Id": {"evt_x"}, "Webhook-Timestamp": {"1700000000"},
		"Webhook-Signature": {"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
	}
	respHeaders := http.Header{"Date": {"Mon, 07 Dec 2026 20:00:00 GMT"}}

	// The recorder: takes what gathered while the last batch committed.
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		pending []store.AttemptResult
		closed  bool
		recErr  error
	)
	recDone := make(chan struct{})
	go func() {
		defer close(recDone)
		for {
			mu.Lock()
			for len(pending) == 0 && !closed {
				cond.Wait()
			}
			if len(pending) == 0 {
				mu.Unlock()
				return
			}
			n := min(len(pending), 512)
			batch := append([]store.AttemptResult(nil), pending[:n]...)
			pending = append(pending[:0], pending[n:]...)
			mu.Unlock()
			if err := s.AttemptRecord(ctx, batch); err != nil {
				recErr = err
			}
		}
	}()

	c0, st0 := s.Counts()
	pages0, err := s.PageCount()
	if err != nil {
		b.Fatal(err)
	}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.SetParallelism(16) // ×GOMAXPROCS publishers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t := time.Now()
			ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: "default", Type: "t0",
				Data: data1K, CreatedAt: t}
			res, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev,
				Lease: &store.LeaseRequest{Lease: store.NewLease("bench", t, time.Minute), Shards: 1}})
			if err != nil {
				b.Error(err)
				return
			}
			results := make([]store.AttemptResult, 0, len(res.Leased))
			body, of := data1K, webhook.Format("")
			if ref {
				body, of = webhook.Body(webhook.FormatEnvelope, ev), webhook.FormatEnvelope
			}
			for _, task := range res.Leased {
				results = append(results, store.AttemptResult{Outcome: store.OutcomeSucceeded, Lease: task.Lease,
					Attempt: webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: task.Delivery.ID,
						WebhookID: task.Delivery.WebhookID, EventID: ev.ID, EventType: "t0", Number: 1,
						StartedAt: time.Now(), DurationMS: 0.4, URL: "http://x.example/", StatusCode: 204,
						RequestHeaders: reqHeaders, RequestBody: body, RequestBodyOf: of, ResponseHeaders: respHeaders,
						ResponseBody: []byte{}, Destination: "http://x.example/", Outcome: webhook.OutcomeDelivered,
						Answer: "204"}})
			}
			mu.Lock()
			pending = append(pending, results...)
			mu.Unlock()
			cond.Signal()
		}
	})
	mu.Lock()
	closed = true
	mu.Unlock()
	cond.Broadcast()
	<-recDone
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	if recErr != nil {
		b.Fatal(recErr)
	}
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(cpu.Milliseconds())*1000/float64(b.N), "cpu-ms/1k-events")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	c1, st1 := s.Counts()
	b.ReportMetric(float64(c1-c0)/float64(b.N), "commits/event")
	b.ReportMetric(float64(st1-st0)/float64(b.N), "stmts/event")
	// The file's growth (pages still only in the WAL not counted).
	var pageSize int
	pages1, err := s.PageCount()
	if err == nil {
		err = s.DB().QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((pages1-pages0)*pageSize)/float64(b.N), "db-bytes/event")
}
