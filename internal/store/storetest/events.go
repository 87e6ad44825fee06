package storetest

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func testEvents(t *testing.T, open Opener) {
	t.Run("FanOut", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		direct := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated))
		star := h.createWebhook(inTenant(tenantAcme), subscribed(webhook.AllEvents))
		several := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderPaid, typeOrderCreated))
		off := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated), inactive)
		otherTenant := h.createWebhook(inTenant(tenantOther), subscribed(typeOrderCreated))
		otherStar := h.createWebhook(inTenant(tenantOther), subscribed(webhook.AllEvents))
		unsubscribed := h.createWebhook(inTenant(tenantAcme), subscribed(typeUserSignup))

		ev := webhook.Event{
			ID: webhook.NewID(webhook.PrefixEvent), Tenant: tenantAcme, Type: typeOrderCreated,
			// Whitespace, key order and escapes must survive: the data is
			// signed and sent as published.
			Data:           json.RawMessage("{\"b\": 1,  \"a\":[1, 2.50, \"\\u00e9\", \"é\"],\n\"z\":null}"),
			IdempotencyKey: "order-1001",
			CreatedAt:      at(time.Hour + 123*time.Microsecond),
			TraceParent:    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			Hops:           2,
		}
		res := h.create(store.EventCreateParams{Event: ev, IdempotencySince: at(-time.Hour)})
		if res.Duplicate {
			t.Fatal("first EventCreate reported a duplicate")
		}
		equal(t, "EventCreate result event", res.Event, ev, normEvent)
		got, err := h.s.EventGet(h.ctx, auth.AllTenants(), ev.ID)
		ok(t, err, "EventGet")
		equal(t, "EventGet", got, ev, normEvent)
		if string(got.Data) != string(ev.Data) {
			t.Errorf("EventGet: data bytes changed:\n got %q\nwant %q", got.Data, ev.Data)
		}

		wantHooks := []string{direct.ID, star.ID, several.ID}
		if !sameSet(webhookIDsOf(res.Deliveries), wantHooks) {
			t.Fatalf("deliveries to %v, want %v (direct, star, several)", webhookIDsOf(res.Deliveries), wantHooks)
		}
		seen := map[string]bool{}
		for _, d := range res.Deliveries {
			if !webhook.HasPrefix(d.ID, webhook.PrefixDelivery) || seen[d.ID] {
				t.Errorf("delivery ID %q: not a fresh %s ID", d.ID, webhook.PrefixDelivery)
			}
			seen[d.ID] = true
			if d.Tenant != ev.Tenant || d.EventID != ev.ID || d.EventType != ev.Type ||
				d.Status != webhook.DeliveryPending || d.Attempts != 0 || !d.CreatedAt.Equal(ev.CreatedAt) {
				t.Errorf("delivery %+v: want a pending, unattempted delivery of the event created with it", d)
			}
		}

		for _, c := range []struct {
			w    webhook.Webhook
			want int64
		}{{direct, 1}, {star, 1}, {several, 1}, {off, 0}, {otherTenant, 0}, {otherStar, 0}, {unsubscribed, 0}} {
			if got := h.webhook(c.w.ID).Stats.Deliveries; got != c.want {
				t.Errorf("webhook %s (%v, active %v, tenant %s): stats.deliveries %d, want %d",
					c.w.Name, c.w.Events, c.w.Active, c.w.Tenant, got, c.want)
			}
		}

		// New deliveries are due at once.
		due, err := h.s.DeliveryNextDue(h.ctx)
		ok(t, err, "DeliveryNextDue")
		if !due.Equal(ev.CreatedAt) {
			t.Errorf("DeliveryNextDue: got %s, want the event's time %s", due, ev.CreatedAt)
		}
		tasks := h.claim("worker", ev.CreatedAt, 10)
		if !sameSet(taskIDs(tasks), deliveryIDs(res.Deliveries)) {
			t.Errorf("claim at the event's time: got %v, want %v", taskIDs(tasks), deliveryIDs(res.Deliveries))
		}
		for _, task := range tasks {
			// The claimed event carries everything an attempt needs,
			// including the trace it joins.
			equal(t, "claimed task's event", task.Event, ev, normEvent)
		}
	})

	t.Run("NoSubscribers", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook(subscribed(typeOrderPaid))
		res := h.publish(webhook.DefaultTenant, typeUserSignup, t0)
		if len(res.Deliveries) != 0 {
			t.Errorf("got %d deliveries, want 0", len(res.Deliveries))
		}
		_, err := h.s.EventGet(h.ctx, auth.AllTenants(), res.Event.ID)
		ok(t, err, "EventGet: an event nobody receives is still stored")
	})

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		_, err := h.s.EventGet(h.ctx, auth.AllTenants(), webhook.NewID(webhook.PrefixEvent))
		wantCode(t, err, webhook.ENOTFOUND, "EventGet")
	})

	t.Run("ResultMatchesStored", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			name  string
			owner string
		}{{"unleased", ""}, {"leased", "node-1"}} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				h := setup(t, open)
				h.createWebhook()
				h.createWebhook()
				p := store.EventCreateParams{Event: newEvent(webhook.DefaultTenant, typeOrderCreated, t0), IdempotencySince: at(-time.Hour)}
				if c.owner != "" {
					p.Lease = &store.LeaseRequest{Lease: store.Lease{Owner: c.owner, Until: at(30 * time.Second)}}
				}
				res := h.create(p)
				if len(res.Deliveries) != 2 {
					t.Fatalf("got %d deliveries, want 2", len(res.Deliveries))
				}
				// EventCreateResult is "what EventCreate stored".
				for _, d := range res.Deliveries {
					equal(t, "EventCreate's delivery vs DeliveryGet", d, h.delivery(d.ID), normDelivery)
				}
			})
		}
	})

	t.Run("Idempotency", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		a := h.createWebhook(inTenant(tenantAcme))
		h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated))
		h.createWebhook(inTenant(tenantOther))
		keyed := func(tenant string, created time.Time, data string) webhook.Event {
			e := newEvent(tenant, typeOrderCreated, created)
			e.IdempotencyKey, e.Data = "order-1001", json.RawMessage(data)
			return e
		}
		counts := func() map[webhook.DeliveryStatus]int64 {
			t.Helper()
			c, err := h.s.DeliveryCounts(h.ctx)
			ok(t, err, "DeliveryCounts")
			return c
		}

		orig := keyed(tenantAcme, t0, `{"try":1}`)
		first := h.create(store.EventCreateParams{Event: orig, IdempotencySince: at(-24 * time.Hour)})
		if first.Duplicate || len(first.Deliveries) != 2 {
			t.Fatalf("first create: duplicate %v with %d deliveries, want a new event with 2", first.Duplicate, len(first.Deliveries))
		}
		before := counts()

		// The same key inside the window: nothing stored, the original
		// and its deliveries returned.
		again := keyed(tenantAcme, at(time.Minute), `{"try":2}`)
		dup := h.create(store.EventCreateParams{Event: again, IdempotencySince: at(time.Minute - 24*time.Hour)})
		if !dup.Duplicate {
			t.Fatal("same key within the window: Duplicate not set")
		}
		equal(t, "duplicate's event is the original", dup.Event, orig, normEvent)
		if !sameSet(deliveryIDs(dup.Deliveries), deliveryIDs(first.Deliveries)) {
			t.Errorf("duplicate's deliveries: got %v, want the original's %v", deliveryIDs(dup.Deliveries), deliveryIDs(first.Deliveries))
		}
		_, err := h.s.EventGet(h.ctx, auth.AllTenants(), again.ID)
		wantCode(t, err, webhook.ENOTFOUND, "EventGet of the duplicate's own ID")
		equal(t, "delivery counts after a duplicate", counts(), before, func(m map[webhook.DeliveryStatus]int64) map[webhook.DeliveryStatus]int64 { return m })
		if got := h.webhook(a.ID).Stats.Deliveries; got != 1 {
			t.Errorf("stats.deliveries after a duplicate: %d, want 1", got)
		}

		// Another tenant's key space is its own.
		other := h.create(store.EventCreateParams{Event: keyed(tenantOther, at(2*time.Minute), `{}`), IdempotencySince: at(-24 * time.Hour)})
		if other.Duplicate || len(other.Deliveries) != 1 {
			t.Errorf("same key, other tenant: duplicate %v with %d deliveries, want a new event with 1", other.Duplicate, len(other.Deliveries))
		}

		// Once the window no longer covers the original, the key is free.
		later := keyed(tenantAcme, at(25*time.Hour), `{"try":3}`)
		fresh := h.create(store.EventCreateParams{Event: later, IdempotencySince: at(time.Hour)})
		if fresh.Duplicate || fresh.Event.ID != later.ID || len(fresh.Deliveries) != 2 {
			t.Fatalf("same key after the window: duplicate %v, event %s with %d deliveries; want new event %s with 2",
				fresh.Duplicate, fresh.Event.ID, len(fresh.Deliveries), later.ID)
		}
		// ...and now names the newer event.
		dup2 := h.create(store.EventCreateParams{Event: keyed(tenantAcme, at(26*time.Hour), `{}`), IdempotencySince: at(2 * time.Hour)})
		if !dup2.Duplicate || dup2.Event.ID != later.ID {
			t.Errorf("key reused after renewal: duplicate %v of %s, want a duplicate of %s", dup2.Duplicate, dup2.Event.ID, later.ID)
		}
		if got := h.webhook(a.ID).Stats.Deliveries; got != 2 {
			t.Errorf("stats.deliveries: %d, want 2", got)
		}
	})

	t.Run("IdempotencyConcurrent", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		const n = 16
		results := make([]store.EventCreateResult, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				e := newEvent(webhook.DefaultTenant, typeOrderCreated, t0)
				e.IdempotencyKey = "same-key"
				res, err := h.s.EventCreate(h.ctx, store.EventCreateParams{Event: e, IdempotencySince: at(-time.Hour)})
				if err != nil {
					t.Errorf("EventCreate %d: %v", i, err)
				}
				results[i] = res
			})
		}
		close(start)
		wg.Wait()
		var originals []string
		ids := map[string]bool{}
		for _, r := range results {
			if !r.Duplicate {
				originals = append(originals, r.Event.ID)
			}
			ids[r.Event.ID] = true
		}
		if len(originals) != 1 || len(ids) != 1 {
			t.Fatalf("concurrent creates with one key: %d stored (%v), %d distinct events returned; want 1 and 1",
				len(originals), originals, len(ids))
		}
		c, err := h.s.DeliveryCounts(h.ctx)
		ok(t, err, "DeliveryCounts")
		if c[webhook.DeliveryPending] != 1 {
			t.Errorf("pending deliveries: %d, want 1", c[webhook.DeliveryPending])
		}
	})
}

// eventIDs returns the IDs of an event page's events, in order.
func eventIDs(es []store.EventSummary) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// reversed returns a reversed copy of s.
func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
