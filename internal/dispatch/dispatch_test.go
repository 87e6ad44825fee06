package dispatch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// fakeStore serves webhooks from memory and collects recorded results. The
// dispatcher's scheduling is what is under test here; the real stores have
// their own conformance suite.
type fakeStore struct {
	mu       sync.Mutex
	hooks    map[string]webhook.Webhook
	results  []store.AttemptResult
	recorded chan struct{}
}

func newFakeStore() *fakeStore {
	return &fakeStore{hooks: map[string]webhook.Webhook{}, recorded: make(chan struct{}, 10000)}
}

func (f *fakeStore) WebhookGet(_ context.Context, _ auth.Scope, id string) (webhook.Webhook, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.hooks[id]
	if !ok {
		return w, webhook.ErrNotFound
	}
	return w, nil
}

func (f *fakeStore) WebhookSecrets(context.Context, auth.Scope, string, time.Time) ([]webhook.Secret, error) {
	return []webhook.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, nil
}

func (f *fakeStore) DeliveryClaim(context.Context, store.DeliveryClaimParams) ([]store.Task, error) {
	return nil, nil
}

func (f *fakeStore) DeliveryReleaseLeases(context.Context, string, time.Time) (int, error) {
	return 0, nil
}

func (f *fakeStore) DeliveryNextDue(context.Context) (time.Time, error) { return time.Time{}, nil }

func (f *fakeStore) LeaseRenew(_ context.Context, held []store.Held, _ time.Time) ([]string, error) {
	ids := make([]string, len(held))
	for i, h := range held {
		ids[i] = h.DeliveryID
	}
	return ids, nil
}

func (f *fakeStore) LeaseRelease(_ context.Context, held []store.Held, _ time.Time) (int, error) {
	return len(held), nil
}

func (f *fakeStore) AttemptRecord(_ context.Context, rs []store.AttemptResult) error {
	f.mu.Lock()
	f.results = append(f.results, rs...)
	f.mu.Unlock()
	for range rs {
		f.recorded <- struct{}{}
	}
	return nil
}

func (f *fakeStore) waitResults(t *testing.T, n int) []store.AttemptResult {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-f.recorded:
		case <-timeout:
			t.Fatalf("got %d results, want %d", i, n)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.AttemptResult(nil), f.results...)
}

func tasks(webhookID string, n int) []store.Task {
	out := make([]store.Task, n)
	for i := range out {
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Type: "t", Data: []byte(`{}`), CreatedAt: time.Now()}
		out[i] = store.Task{
			Delivery: webhook.Delivery{ID: webhook.NewID(webhook.PrefixDelivery), WebhookID: webhookID, EventID: ev.ID},
			Event:    ev,
			Lease:    store.NewLease("test", time.Now(), time.Hour),
		}
	}
	return out
}

func startDispatcher(t *testing.T, fs *fakeStore, cfg Config) *Dispatcher {
	t.Helper()
	cfg.Store = fs
	cfg.Sender = deliver.New(deliver.Config{Client: http.DefaultClient, Version: "test"})
	cfg.Owner = "test"
	d := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return d
}

// TestSlowWebhookDoesNotStarveOthers fills a slow webhook's lane with far
// more work than workers, and checks a healthy webhook's deliveries all go
// through while the slow one holds exactly its concurrency limit.
func TestSlowWebhookDoesNotStarveOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	inflight, peak := 0, 0
	arrived := make(chan struct{}, 1000)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inflight++
		peak = max(peak, inflight)
		mu.Unlock()
		arrived <- struct{}{}
		<-release
		mu.Lock()
		inflight--
		mu.Unlock()
	}))
	defer slow.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer fast.Close()

	fs := newFakeStore()
	fs.hooks["wh_slow"] = webhook.Webhook{ID: "wh_slow", URL: slow.URL, Active: true, Format: webhook.FormatEnvelope}
	fs.hooks["wh_fast"] = webhook.Webhook{ID: "wh_fast", URL: fast.URL, Active: true, Format: webhook.FormatEnvelope}
	const limit = 3
	d := startDispatcher(t, fs, Config{PerWebhook: limit, Workers: 8})

	d.Submit(tasks("wh_slow", 100))
	for range limit {
		<-arrived // the slow webhook holds its limit
	}
	d.Submit(tasks("wh_fast", 50))
	results := fs.waitResults(t, 50)
	for _, r := range results {
		if r.Attempt.WebhookID != "wh_fast" || r.Outcome != store.OutcomeSucceeded {
			t.Fatalf("unexpected result %+v", r)
		}
	}
	mu.Lock()
	if peak != limit {
		t.Errorf("slow webhook peak concurrency = %d, want %d", peak, limit)
	}
	mu.Unlock()
	close(release)
	fs.waitResults(t, 100)
}

func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := New(Config{Now: func() time.Time { return now }, RetrySchedule: []time.Duration{time.Minute}})
	ra := http.Header{"Retry-After": []string{"30"}}
	tests := []struct {
		name    string
		a       webhook.Attempt
		number  int
		outcome store.Outcome
		minNext time.Duration
		maxNext time.Duration
		disable bool
	}{
		{"2xx succeeds", webhook.Attempt{StatusCode: 204}, 1, store.OutcomeSucceeded, 0, 0, false},
		{"500 retries on the schedule", webhook.Attempt{StatusCode: 500, ErrorClass: webhook.ErrClassHTTPStatus}, 1, store.OutcomeRetry, 54 * time.Second, 66 * time.Second, false},
		{"500 after the last retry fails", webhook.Attempt{StatusCode: 500, ErrorClass: webhook.ErrClassHTTPStatus}, 2, store.OutcomeFailed, 0, 0, false},
		{"410 fails and disables", webhook.Attempt{StatusCode: 410, ErrorClass: webhook.ErrClassHTTPStatus}, 1, store.OutcomeFailed, 0, 0, true},
		{"429 honours Retry-After", webhook.Attempt{StatusCode: 429, ErrorClass: webhook.ErrClassHTTPStatus, ResponseHeaders: ra}, 1, store.OutcomeRetry, 30 * time.Second, 30 * time.Second, false},
		{"503 honours Retry-After", webhook.Attempt{StatusCode: 503, ErrorClass: webhook.ErrClassHTTPStatus, ResponseHeaders: ra}, 1, store.OutcomeRetry, 30 * time.Second, 30 * time.Second, false},
		{"connection refused retries", webhook.Attempt{ErrorClass: webhook.ErrClassConnectionRefused}, 1, store.OutcomeRetry, 54 * time.Second, 66 * time.Second, false},
		{"redirect is a failure", webhook.Attempt{StatusCode: 302, ErrorClass: webhook.ErrClassRedirect}, 1, store.OutcomeRetry, 54 * time.Second, 66 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outcome, next, disable := d.apply(deliver.Judge(&tt.a, now), tt.number)
			if outcome != tt.outcome {
				t.Fatalf("outcome = %v, want %v", outcome, tt.outcome)
			}
			if (disable != "") != tt.disable {
				t.Fatalf("disable = %q, want %v", disable, tt.disable)
			}
			if outcome == store.OutcomeRetry {
				if delay := next.Sub(now); delay < tt.minNext || delay > tt.maxNext {
					t.Fatalf("next attempt in %v, want %v..%v", delay, tt.minNext, tt.maxNext)
				}
			}
		})
	}
}

func TestDisabledWebhookDeliveryIsCancelled(t *testing.T) {
	t.Parallel()
	fs := newFakeStore()
	fs.hooks["wh_off"] = webhook.Webhook{ID: "wh_off", URL: "http://127.0.0.1:1/", Active: false}
	d := startDispatcher(t, fs, Config{})
	d.Submit(tasks("wh_off", 1))
	d.Submit(tasks("wh_gone", 1))
	for _, r := range fs.waitResults(t, 2) {
		if r.Outcome != store.OutcomeFailed || r.Attempt.ErrorClass != webhook.ErrClassCancelled {
			t.Fatalf("got %+v, want a cancelled failure", r)
		}
		if a := r.Attempt; a.Destination != webhook.DestinationHTTP || a.Answer == "" || a.Outcome != webhook.OutcomeFailed {
			t.Fatalf("cancelled attempt: destination %q, answer %q, outcome %q", a.Destination, a.Answer, a.Outcome)
		}
	}
}

// TestBreakerPausesFailingEndpoint: after breakerThreshold failures in a
// row a lane stops sending, keeps its deliveries queued (their retries
// unspent), probes after the cool-down, and resumes when the probe works.
func TestBreakerPausesFailingEndpoint(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if n <= breakerThreshold {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	fs := newFakeStore()
	fs.hooks["wh_flaky"] = webhook.Webhook{ID: "wh_flaky", URL: srv.URL, Active: true, Format: webhook.FormatEnvelope}
	d := startDispatcher(t, fs, Config{PerWebhook: 1})
	d.Submit(tasks("wh_flaky", 20))

	fs.waitResults(t, breakerThreshold)
	d.mu.Lock()
	l := d.sched.lanes["wh_flaky"]
	open, inflight, queued := l.br.open(), l.inflight, l.waiting()
	d.mu.Unlock()
	if !open || inflight != 0 || queued != 20-breakerThreshold {
		t.Fatalf("after %d failures: open=%v inflight=%d queued=%d, want open, idle, %d queued",
			breakerThreshold, open, inflight, queued, 20-breakerThreshold)
	}
	results := fs.waitResults(t, 20-breakerThreshold) // the probe succeeds, then the rest
	ok := 0
	for _, r := range results {
		if r.Outcome == store.OutcomeSucceeded {
			ok++
		}
	}
	if ok != 20-breakerThreshold {
		t.Fatalf("%d deliveries succeeded after the endpoint came back, want %d", ok, 20-breakerThreshold)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 20 {
		t.Fatalf("%d requests, want 20: one each, none wasted while the endpoint was down", requests)
	}
}
