package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

// flakyReceiver answers 500 to a share of requests and drops the
// connection of another, and reports each event id the first time it is
// answered 2xx at a path (one per webhook).
type flakyReceiver struct {
	// healthy answers every request 204.
	healthy bool
	// before, if set, runs before each answer.
	before    func()
	mu        sync.Mutex
	cond      *sync.Cond
	n         int
	delivered map[string]bool
	arrived   chan string
}

// waitRequests blocks until n requests have come in.
func (f *flakyReceiver) waitRequests(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cond == nil {
		f.cond = sync.NewCond(&f.mu)
	}
	for f.n < n {
		f.cond.Wait()
	}
}

func (f *flakyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Path + " " + r.Header.Get("Webhook-Id")
	f.mu.Lock()
	if f.cond == nil {
		f.cond = sync.NewCond(&f.mu)
	}
	f.n++
	n := f.n
	f.cond.Broadcast()
	f.mu.Unlock()
	if f.before != nil {
		f.before()
	}
	switch {
	case f.healthy:
	case n%7 == 0:
		w.WriteHeader(http.StatusInternalServerError)
		return
	case n%11 == 0:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
	f.mu.Lock()
	first := !f.delivered[id]
	f.delivered[id] = true
	f.mu.Unlock()
	if first {
		f.arrived <- id
	}
}

// TestHandoffNeverWaitsForLeaseExpiry publishes through ingest into a
// small in-memory queue (so the full-lane, overflow and claim paths all
// run) to endpoints that fail now and then, with a lease of an hour: every
// event must arrive, so none may depend on its lease running out while
// this instance is alive.
func TestHandoffNeverWaitsForLeaseExpiry(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	ctx := context.Background()
	rcv := &flakyReceiver{delivered: map[string]bool{}, arrived: make(chan string, 10000)}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	if err := st.EventTypeCreate(ctx, webhook.EventType{Slug: "t", Name: "T", Example: json.RawMessage(`{}`),
		CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	const hooks = 3
	for i := range hooks {
		w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant,
			Name: fmt.Sprint("h", i), URL: fmt.Sprint(srv.URL, "/h", i), Events: []string{"t"}, Active: true,
			Format: webhook.FormatEnvelope, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.WebhookCreate(ctx, w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
			t.Fatal(err)
		}
	}
	schedule := make([]time.Duration, 30)
	for i := range schedule {
		schedule[i] = 5 * time.Millisecond
	}
	d := dispatch.New(dispatch.Config{
		Store: st, Owner: "inst_test",
		Sender:        deliver.New(deliver.Config{Client: srv.Client(), Version: "test", Timeout: 5 * time.Second}),
		RetrySchedule: schedule, PerWebhook: 4, Workers: 8, QueueCapacity: 1000,
		LeaseDuration: time.Hour, AttemptTimeout: 5 * time.Second, PollInterval: 50 * time.Millisecond,
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	ing := ingest.New(ingest.Config{Store: st, Handoff: d})

	const events = 1500
	var pub sync.WaitGroup
	errs := make(chan error, events)
	for p := range 12 {
		pub.Add(1)
		go func() {
			defer pub.Done()
			for i := p; i < events; i += 12 {
				if _, err := ing.Publish(ctx, ingest.Input{Type: "t", Data: json.RawMessage(`{"i":1}`)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	pub.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("publish: %v", err)
	}
	want := events * hooks
	deadline := time.After(60 * time.Second)
	for got := 0; got < want; got++ {
		select {
		case <-rcv.arrived:
		case <-deadline:
			t.Fatalf("%d of %d events arrived; stuck deliveries:\n%s", got, want, pending(t, st))
		}
	}
}

// harness is a dispatcher fed by ingest over a real SQLite store, and
// its receiver.
type harness struct {
	t     *testing.T
	store *flakyStore
	ing   *ingest.Service
	d     *dispatch.Dispatcher
	hooks []webhook.Webhook
}

// flakyStore is a real store whose webhook reads fail while failReads is
// above zero (storage trouble).
type flakyStore struct {
	store.Store
	mu        sync.Mutex
	failReads int
}

func (f *flakyStore) WebhookGet(ctx context.Context, scope auth.Scope, id string) (webhook.Webhook, error) {
	f.mu.Lock()
	fail := f.failReads > 0
	if fail {
		f.failReads--
	}
	f.mu.Unlock()
	if fail {
		return webhook.Webhook{}, webhook.Errorf(webhook.EUNAVAILABLE, "storage unavailable")
	}
	return f.Store.WebhookGet(ctx, scope, id)
}

// newHarness starts a dispatcher with a one-hour lease (nothing in these
// tests may wait for a lease to run out) and n webhooks to url.
func newHarness(t *testing.T, url string, n int, cfg dispatch.Config) *harness {
	t.Helper()
	st := &flakyStore{Store: sqlitetest.Open(t)}
	ctx := context.Background()
	if err := st.EventTypeCreate(ctx, webhook.EventType{Slug: "t", Name: "T", Example: json.RawMessage(`{}`),
		CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: st}
	for i := range n {
		w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant,
			Name: fmt.Sprint("h", i), URL: fmt.Sprint(url, "/h", i), Events: []string{"t"}, Active: true,
			Format: webhook.FormatEnvelope, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.WebhookCreate(ctx, w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
			t.Fatal(err)
		}
		h.hooks = append(h.hooks, w)
	}
	cfg.Store, cfg.Owner, cfg.LeaseDuration = st, "inst_test", time.Hour
	if cfg.Sender == nil {
		cfg.Sender = deliver.New(deliver.Config{Client: http.DefaultClient, Version: "test", Timeout: 5 * time.Second, Now: cfg.Now})
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	h.d = dispatch.New(cfg)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.d.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	h.ing = ingest.New(ingest.Config{Store: st, Handoff: h.d, Now: cfg.Now})
	return h
}

func (h *harness) publish() {
	h.t.Helper()
	if _, err := h.ing.Publish(context.Background(), ingest.Input{Type: "t", Data: json.RawMessage(`{}`)}); err != nil {
		h.t.Fatalf("publish: %v", err)
	}
}

// await waits for n first arrivals; the deadline only guards against a
// hang (a delivery left to its one-hour lease).
func (h *harness) await(arrived <-chan string, n int) {
	h.t.Helper()
	deadline := time.After(30 * time.Second)
	for got := 0; got < n; got++ {
		select {
		case <-arrived:
		case <-deadline:
			h.t.Fatalf("%d of %d deliveries arrived; still pending:\n%s", got, n, pending(h.t, h.store))
		}
	}
}

// TestStorageTroubleReleasesAtOnce: when the webhook of a handed-over
// delivery cannot be read, the delivery is given back at once and
// delivered by the next claim, not held until its lease runs out.
func TestStorageTroubleReleasesAtOnce(t *testing.T) {
	t.Parallel()
	rcv := &flakyReceiver{delivered: map[string]bool{}, arrived: make(chan string, 10), healthy: true}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	h := newHarness(t, srv.URL, 1, dispatch.Config{})
	h.store.mu.Lock()
	h.store.failReads = 1
	h.store.mu.Unlock()
	h.publish()
	h.await(rcv.arrived, 1)
}

// TestLongWaitRenewsLease: a delivery that waited in memory until its
// lease would end before an attempt could finish has its lease renewed
// and is sent, not dropped to wait for the lease to run out.
func TestLongWaitRenewsLease(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Now().UTC())
	unblock := make(chan struct{})
	var first sync.Once
	rcv := &flakyReceiver{delivered: map[string]bool{}, arrived: make(chan string, 10), healthy: true,
		before: func() { first.Do(func() { <-unblock }) }}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	h := newHarness(t, srv.URL, 1, dispatch.Config{Now: clock.Now, PerWebhook: 1, AttemptTimeout: time.Minute})
	for range 3 {
		h.publish()
	}
	rcv.waitRequests(1) // the first attempt is under way; two wait behind it
	clock.Add(time.Hour - 30*time.Second)
	close(unblock)
	h.await(rcv.arrived, 3)
}

// TestSubmitAfterStopReleases: deliveries handed over while the
// dispatcher stops are released at once, for the next start or another
// instance to claim.
func TestSubmitAfterStopReleases(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	d := dispatch.New(dispatch.Config{Store: st, Owner: "inst_a", LeaseDuration: time.Hour,
		Sender: deliver.New(deliver.Config{Client: http.DefaultClient})})
	ctx, stop := context.WithCancel(context.Background())
	stop()
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.EventTypeCreate(context.Background(), webhook.EventType{Slug: "t", Name: "T",
		Example: json.RawMessage(`{}`), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant, Name: "w",
		URL: "http://127.0.0.1:1/", Events: []string{"t"}, Active: true, Format: webhook.FormatEnvelope,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.WebhookCreate(context.Background(), w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
		t.Fatal(err)
	}
	// As ingest would: lease with a request made before the stop.
	lease := store.NewLease("inst_a", time.Now(), time.Hour)
	res, err := st.EventCreate(context.Background(), store.EventCreateParams{
		Event: webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "t",
			Data: json.RawMessage(`{}`), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)},
		Lease: &store.LeaseRequest{Lease: lease},
	})
	if err != nil || len(res.Leased) != 1 {
		t.Fatalf("EventCreate: %d leased, %v", len(res.Leased), err)
	}
	if d.Reserve() != nil {
		t.Fatal("a stopped dispatcher reserved a lease")
	}
	d.Submit(res.Leased)
	tasks, err := st.DeliveryClaim(context.Background(), store.DeliveryClaimParams{
		Lease: store.NewLease("inst_b", time.Now(), time.Minute), Now: time.Now(), Limit: 10})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("another instance claimed %d tasks, %v; want the released delivery at once", len(tasks), err)
	}
}

// pending describes the deliveries still pending, for a failure message.
func pending(t *testing.T, st store.Store) string {
	t.Helper()
	page, err := st.DeliveryList(context.Background(), store.DeliveryListParams{Scope: auth.AllTenants(), Statuses: []webhook.DeliveryStatus{webhook.DeliveryPending}, Limit: 50})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, d := range page.Deliveries {
		fmt.Fprintf(&b, "%s attempts=%d next=%v\n", d.ID, d.Attempts, d.NextAttemptAt)
	}
	return b.String()
}
