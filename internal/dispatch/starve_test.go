package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

// blockingReceiver holds every request until release is closed.
type blockingReceiver struct {
	release chan struct{}
	mu      sync.Mutex
	cond    *sync.Cond
	arrived int // requests that came in
	ended   int // requests answered
}

func (b *blockingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.arrived++
	b.cond.Broadcast()
	b.mu.Unlock()
	select {
	case <-b.release:
	case <-r.Context().Done():
	}
	b.mu.Lock()
	b.ended++
	b.mu.Unlock()
}

// waitArrived blocks until n requests came in, or fails the test after a
// guard deadline (a hang, not a timing threshold).
func (b *blockingReceiver) waitArrived(t *testing.T, n int) {
	t.Helper()
	guard := time.AfterFunc(30*time.Second, func() {
		b.mu.Lock()
		b.arrived = -1 << 30 // wake the wait below for good
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer guard.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.arrived >= 0 && b.arrived < n {
		b.cond.Wait()
	}
	if b.arrived < 0 {
		t.Fatalf("fewer than %d requests reached the slow receivers", n)
	}
}

// TestSlowEndpointsDoNotStarveHealthy is issue 17's starvation case: 30
// webhooks whose receivers block until the test releases them get 10
// events each (300 attempts, more than the 256 workers), then a healthy
// webhook gets 60; all 60 must arrive while every slow receiver is still
// blocked. Once with one tenant, once with the slow webhooks in another
// tenant, once with them split between the healthy webhook's tenant and
// another.
func TestSlowEndpointsDoNotStarveHealthy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// slowTenant gives the tenant of slow webhook i.
		slowTenant    func(i int) string
		healthyTenant string
	}{
		{"one tenant", func(int) string { return "" }, ""},
		{"slow tenant beside a healthy one", func(int) string { return "noisy" }, "quiet"},
		{"slow webhooks in both tenants", func(i int) string { return []string{"noisy", "quiet"}[i%2] }, "quiet"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			starveCase(t, tc.slowTenant, tc.healthyTenant)
		})
	}
}

func starveCase(t *testing.T, slowTenant func(int) string, healthyTenant string) {
	const slowHooks, slowEvents, healthyEvents = 30, 10, 60
	slow := &blockingReceiver{release: make(chan struct{})}
	slow.cond = sync.NewCond(&slow.mu)
	slowSrv := httptest.NewServer(slow)
	defer slowSrv.Close()
	healthy := make(chan string, healthyEvents)
	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		healthy <- r.Header.Get("Webhook-Id")
	}))
	defer okSrv.Close()

	ctx := context.Background()
	st := sqlitetest.Open(t)
	for _, slug := range []string{"slow", "ok"} {
		if err := st.EventTypeCreate(ctx, webhook.EventType{Slug: slug, Name: slug, Example: json.RawMessage(`{}`),
			CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	hook := func(name, tenant, url, event string) {
		if tenant == "" {
			tenant = webhook.DefaultTenant
		}
		w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: tenant, Name: name, URL: url,
			Events: []string{event}, Active: true, Format: webhook.FormatEnvelope, CreatedAt: time.Now(),
			UpdatedAt: time.Now()}
		if err := st.WebhookCreate(ctx, w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
			t.Fatal(err)
		}
	}
	tenants := map[string]bool{}
	for i := range slowHooks {
		hook(fmt.Sprint("slow", i), slowTenant(i), fmt.Sprint(slowSrv.URL, "/s", i), "slow")
		tenants[slowTenant(i)] = true
	}
	hook("healthy", healthyTenant, okSrv.URL, "ok")

	// The production defaults (256 workers, 10 per webhook), and a timeout
	// long enough that no slow attempt ends before the test releases it.
	const timeout = 10 * time.Minute
	d := dispatch.New(dispatch.Config{Store: st, Owner: "inst_starve", LeaseDuration: time.Hour,
		AttemptTimeout: timeout, ShutdownTimeout: time.Minute,
		Sender: deliver.New(deliver.Config{Client: &http.Client{}, Version: "test", Timeout: timeout})})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	defer func() {
		close(slow.release) // the held attempts end, so Run stops at once
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	ing := ingest.New(ingest.Config{Store: st, Handoff: d})
	publish := func(tenant, typ string) {
		if _, err := ing.Publish(ctx, ingest.Input{Tenant: tenant, Type: typ, Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}

	for range slowEvents {
		for tenant := range tenants {
			publish(tenant, "slow")
		}
	}
	// The slow receivers hold most of the workers (all 256 before issue
	// 17) before the healthy webhook's events come.
	slow.waitArrived(t, 200)
	for range healthyEvents {
		publish(healthyTenant, "ok")
	}
	guard := time.After(30 * time.Second)
	for got := range healthyEvents {
		select {
		case <-healthy:
		case <-guard:
			slow.mu.Lock()
			arrived := slow.arrived
			slow.mu.Unlock()
			t.Fatalf("%d of %d healthy events arrived beside %d blocked slow attempts", got, healthyEvents, arrived)
		}
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if slow.ended != 0 {
		t.Fatalf("%d slow requests ended before the healthy events all arrived; the test needs them blocked", slow.ended)
	}
}
