package dispatch

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

// backends are the real stores the lease component is tested against.
var backends = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store { return sqlitetest.Open(t) }},
	{"postgres", func(t *testing.T) store.Store { return pgtest.Open(t) }},
}

// leaseSetup stores one webhook and one pending delivery due at the
// clock's time, and returns two processes' lease components on the store.
func leaseSetup(t *testing.T, st store.Store, clock *fakeclock.Clock) (a, b *leases, deliveryID string) {
	t.Helper()
	ctx := context.Background()
	now := clock.Now()
	if err := st.EventTypeCreate(ctx, webhook.EventType{Slug: "t", Name: "T", Example: json.RawMessage(`{}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant, Name: "w",
		URL: "https://example.com/", Events: []string{"t"}, Active: true, Format: webhook.FormatEnvelope,
		CreatedAt: now, UpdatedAt: now}
	if err := st.WebhookCreate(ctx, w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
		t.Fatal(err)
	}
	res, err := st.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{ID: webhook.NewID(webhook.PrefixEvent),
		Tenant: webhook.DefaultTenant, Type: "t", Data: json.RawMessage(`{}`), CreatedAt: now}})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("EventCreate: %v, %d deliveries", err, len(res.Deliveries))
	}
	a = newLeases(st, "inst_a", time.Minute, clock.Now)
	b = newLeases(st, "inst_b", time.Minute, clock.Now)
	return a, b, res.Deliveries[0].ID
}

func claimAll(t *testing.T, k *leases, now time.Time) []store.Task {
	t.Helper()
	tasks, _, err := k.claim(context.Background(), store.DeliveryClaimParams{Now: now, Limit: 10})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return tasks
}

func attemptResult(t store.Task, outcome store.Outcome, at time.Time) store.AttemptResult {
	return store.AttemptResult{Outcome: outcome, Lease: t.Lease, Attempt: webhook.Attempt{
		ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: t.Delivery.ID, WebhookID: t.Delivery.WebhookID,
		EventID: t.Delivery.EventID, EventType: t.Delivery.EventType, Number: 1, StartedAt: at, StatusCode: 204}}
}

// TestLeaseFencedAfterExpiry: a process whose lease ran out and was taken
// over by another loses the delivery: its renewal finds it gone (and it
// stops holding it), and its late result changes nothing.
func TestLeaseFencedAfterExpiry(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			st := be.open(t)
			clock := fakeclock.New(time.Now().UTC().Truncate(time.Second))
			a, b, id := leaseSetup(t, st, clock)
			ctx := context.Background()
			mine := claimAll(t, a, clock.Now())
			if len(mine) != 1 {
				t.Fatalf("a claimed %d, want 1", len(mine))
			}
			clock.Add(2 * time.Minute)
			theirs := claimAll(t, b, clock.Now())
			if len(theirs) != 1 {
				t.Fatalf("b claimed %d after a's lease ran out, want 1", len(theirs))
			}
			lost, err := a.renew(ctx, clock.Now().Add(time.Hour))
			if err != nil || lost != 1 {
				t.Fatalf("a's renewal: lost %d, %v; want 1 lost", lost, err)
			}
			if _, held := a.get(id); held {
				t.Fatal("a still holds a delivery it lost")
			}
			if err := a.record(ctx, []store.AttemptResult{attemptResult(mine[0], store.OutcomeSucceeded, clock.Now())}); err != nil {
				t.Fatal(err)
			}
			if d, _ := st.DeliveryGet(ctx, auth.AllTenants(), id); d.Status != webhook.DeliveryPending {
				t.Fatalf("a's late result applied: %s", d.Status)
			}
			if err := b.record(ctx, []store.AttemptResult{attemptResult(theirs[0], store.OutcomeSucceeded, clock.Now())}); err != nil {
				t.Fatal(err)
			}
			if d, _ := st.DeliveryGet(ctx, auth.AllTenants(), id); d.Status != webhook.DeliverySucceeded {
				t.Fatalf("b's result did not apply: %s", d.Status)
			}
		})
	}
}

// TestLeaseRenewalKeepsItAndFencesResult: a renewed lease keeps other
// claimers out past its first end, and the result is fenced with the
// renewed lease (the one the database holds), so it applies.
func TestLeaseRenewalKeepsItAndFencesResult(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			st := be.open(t)
			clock := fakeclock.New(time.Now().UTC().Truncate(time.Second))
			a, b, id := leaseSetup(t, st, clock)
			ctx := context.Background()
			mine := claimAll(t, a, clock.Now())
			clock.Add(45 * time.Second)
			if lost, err := a.renew(ctx, clock.Now().Add(30*time.Second)); err != nil || lost != 0 {
				t.Fatalf("renew: lost %d, %v", lost, err)
			}
			l, _ := a.get(id)
			if want := clock.Now().Add(time.Minute); !l.Until.Equal(want) {
				t.Fatalf("renewed lease ends %v, want %v", l.Until, want)
			}
			clock.Add(30 * time.Second) // past the first lease, inside the renewed one
			if got := claimAll(t, b, clock.Now()); len(got) != 0 {
				t.Fatalf("b claimed %d inside a's renewed lease", len(got))
			}
			// The attempt began under the first lease; its result carries
			// that one and is fenced with the renewed one.
			if err := a.record(ctx, []store.AttemptResult{attemptResult(mine[0], store.OutcomeSucceeded, clock.Now())}); err != nil {
				t.Fatal(err)
			}
			if d, _ := st.DeliveryGet(ctx, auth.AllTenants(), id); d.Status != webhook.DeliverySucceeded {
				t.Fatalf("result under the renewed lease did not apply: %s", d.Status)
			}
			if _, held := a.get(id); held {
				t.Fatal("still held after its result was stored")
			}
		})
	}
}

// TestLeaseReleaseOnShutdown: what a stopping process holds is claimable
// by another at once, and one delivery can be given back alone.
func TestLeaseReleaseOnShutdown(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			st := be.open(t)
			clock := fakeclock.New(time.Now().UTC().Truncate(time.Second))
			a, b, id := leaseSetup(t, st, clock)
			ctx := context.Background()
			if got := claimAll(t, a, clock.Now()); len(got) != 1 {
				t.Fatalf("a claimed %d", len(got))
			}
			if err := a.release(ctx, id); err != nil {
				t.Fatal(err)
			}
			again := claimAll(t, a, clock.Now())
			if len(again) != 1 {
				t.Fatalf("after releasing one: claimed %d again, want it back at once", len(again))
			}
			n, err := a.releaseAll(ctx)
			if err != nil || n != 1 {
				t.Fatalf("releaseAll: %d, %v; want 1", n, err)
			}
			if got := claimAll(t, b, clock.Now()); len(got) != 1 || got[0].Delivery.ID != id {
				t.Fatalf("b claimed %v after a shut down, want the delivery at once", got)
			}
		})
	}
}
