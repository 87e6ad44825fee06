package storetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func testLists(t *testing.T, open Opener) {
	t.Run("EventsWithDeliveryCounts", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w1 := h.createWebhook()
		w2 := h.createWebhook(subscribed(typeOrderCreated))
		e1 := h.publish(webhook.DefaultTenant, typeOrderCreated, at(1*time.Second))
		e2 := h.publish(webhook.DefaultTenant, typeUserSignup, at(2*time.Second))
		e3 := h.publish(webhook.DefaultTenant, typeOrderCreated, at(3*time.Second))
		e4 := h.publish(tenantOther, typeOrderPaid, at(4*time.Second))
		byHook := map[string]webhook.Delivery{}
		for _, d := range e1.Deliveries {
			byHook[d.WebhookID] = d
		}
		h.claim("a", at(time.Second), 2)
		h.record(succeeded(byHook[w1.ID], at(5*time.Second)), failed(byHook[w2.ID], at(5*time.Second)))

		type counts = map[webhook.DeliveryStatus]int
		events := map[string]webhook.Event{}
		wantCounts := map[string]counts{
			e1.Event.ID: {webhook.DeliverySucceeded: 1, webhook.DeliveryFailed: 1},
			e2.Event.ID: {webhook.DeliveryPending: 1},
			e3.Event.ID: {webhook.DeliveryPending: 2},
			e4.Event.ID: {},
		}
		for _, e := range []store.EventCreateResult{e1, e2, e3, e4} {
			events[e.Event.ID] = e.Event
		}
		for _, c := range []struct {
			name string
			p    store.EventListParams
			want []string // newest first
		}{
			{"all", store.EventListParams{Scope: auth.AllTenants()}, []string{e4.Event.ID, e3.Event.ID, e2.Event.ID, e1.Event.ID}},
			{"tenant", store.EventListParams{Scope: auth.AllTenants(), Tenant: webhook.DefaultTenant}, []string{e3.Event.ID, e2.Event.ID, e1.Event.ID}},
			{"type", store.EventListParams{Scope: auth.AllTenants(), Type: typeOrderCreated}, []string{e3.Event.ID, e1.Event.ID}},
			{"tenant and type", store.EventListParams{Scope: auth.AllTenants(), Tenant: tenantOther, Type: typeOrderPaid}, []string{e4.Event.ID}},
			{"no match", store.EventListParams{Scope: auth.AllTenants(), Tenant: tenantOther, Type: typeOrderCreated}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				page, err := h.s.EventList(h.ctx, c.p)
				ok(t, err, "EventList")
				if got := eventIDs(page.Events); !slices.Equal(got, c.want) {
					t.Fatalf("EventList(%+v):\n got %v\nwant %v", c.p, got, c.want)
				}
				if page.Next != "" {
					t.Errorf("EventList(%+v): Next %q on the only page", c.p, page.Next)
				}
				for _, e := range page.Events {
					equal(t, "summary event", e.Event, events[e.ID], normEvent)
					got := maps.Clone(e.Deliveries)
					maps.DeleteFunc(got, func(_ webhook.DeliveryStatus, n int) bool { return n == 0 })
					if !maps.Equal(got, wantCounts[e.ID]) {
						t.Errorf("event %s: delivery counts %v, want %v", e.ID, e.Deliveries, wantCounts[e.ID])
					}
				}
			})
		}
	})

	t.Run("EventPaging", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		var all, created []string // newest first
		for i := range 9 {
			typ := typeOrderCreated
			if i%3 == 2 {
				typ = typeOrderPaid
			}
			id := h.publish(webhook.DefaultTenant, typ, at(time.Duration(i)*time.Second)).Event.ID
			all = append(all, id)
			if typ == typeOrderCreated {
				created = append(created, id)
			}
		}
		all, created = reversed(all), reversed(created)
		for _, c := range []struct {
			name  string
			p     store.EventListParams
			sizes []int
			want  []string
		}{
			{"all", store.EventListParams{Scope: auth.AllTenants(), Limit: 4}, []int{4, 4, 1}, all},
			{"type", store.EventListParams{Scope: auth.AllTenants(), Type: typeOrderCreated, Limit: 3}, []int{3, 3}, created},
		} {
			var got []string
			var sizes []int
			p := c.p
			for i := 0; ; i++ {
				if i > 9 {
					t.Fatalf("%s: paging does not end: %v", c.name, sizes)
				}
				page, err := h.s.EventList(h.ctx, p)
				ok(t, err, "EventList")
				sizes = append(sizes, len(page.Events))
				got = append(got, eventIDs(page.Events)...)
				if page.Next == "" {
					break
				}
				p.Cursor = page.Next
			}
			// An exact last page may be followed by an empty one.
			if n := len(sizes); n > len(c.sizes) && sizes[n-1] == 0 {
				sizes = sizes[:n-1]
			}
			if !slices.Equal(sizes, c.sizes) || !slices.Equal(got, c.want) {
				t.Errorf("%s: pages of %v holding\n %v\nwant pages of %v holding\n %v", c.name, sizes, got, c.sizes, c.want)
			}
		}
	})

	t.Run("EventSamples", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		var orders []webhook.Event
		for i := range 5 {
			orders = append(orders, h.publish(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(i)*time.Second)).Event)
			h.publish(webhook.DefaultTenant, typeUserSignup, at(time.Duration(i)*time.Second))
		}
		h.publish(tenantOther, typeOrderCreated, at(time.Minute))
		slices.Reverse(orders)

		got, err := h.s.EventSamples(h.ctx, auth.AllTenants(), webhook.DefaultTenant, typeOrderCreated, 3)
		ok(t, err, "EventSamples")
		if len(got) != 3 {
			t.Fatalf("EventSamples(limit 3): got %d events", len(got))
		}
		for i := range got {
			equal(t, "EventSamples", got[i], orders[i], normEvent)
		}
		if got, err := h.s.EventSamples(h.ctx, auth.AllTenants(), webhook.DefaultTenant, typeOrderCreated, 50); err != nil || len(got) != 5 {
			t.Errorf("EventSamples(limit 50): %d events, %v; want 5", len(got), err)
		}
		if got, err := h.s.EventSamples(h.ctx, auth.AllTenants(), tenantOther, typeOrderCreated, 50); err != nil || len(got) != 1 {
			t.Errorf("EventSamples(other tenant): %d events, %v; want 1", len(got), err)
		}
		if got, err := h.s.EventSamples(h.ctx, auth.AllTenants(), webhook.DefaultTenant, "no.such.type", 50); err != nil || len(got) != 0 {
			t.Errorf("EventSamples(unknown type): %d events, %v; want 0", len(got), err)
		}
	})

	t.Run("Deliveries", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		counts := func() map[webhook.DeliveryStatus]int64 {
			t.Helper()
			c, err := h.s.DeliveryCounts(h.ctx)
			ok(t, err, "DeliveryCounts")
			maps.DeleteFunc(c, func(_ webhook.DeliveryStatus, n int64) bool { return n == 0 })
			return c
		}
		if c := counts(); len(c) != 0 {
			t.Errorf("DeliveryCounts of an empty store: %v", c)
		}
		w1 := h.createWebhook(inTenant(tenantAcme))
		w2 := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated))
		w3 := h.createWebhook(inTenant(tenantOther))
		e1 := h.publish(tenantAcme, typeOrderCreated, at(1*time.Second))
		e2 := h.publish(tenantAcme, typeOrderCreated, at(2*time.Second))
		e3 := h.publish(tenantAcme, typeUserSignup, at(3*time.Second))
		e4 := h.publish(tenantOther, typeOrderCreated, at(4*time.Second))
		// d[event][webhook]
		d := map[string]map[string]webhook.Delivery{}
		var all []string
		for _, e := range []store.EventCreateResult{e1, e2, e3, e4} {
			d[e.Event.ID] = map[string]webhook.Delivery{}
			for _, dl := range e.Deliveries {
				d[e.Event.ID][dl.WebhookID] = dl
				all = append(all, dl.ID)
			}
		}
		id := func(e store.EventCreateResult, w webhook.Webhook) string { return d[e.Event.ID][w.ID].ID }
		h.claim("a", at(time.Second), 10)
		h.record(succeeded(d[e1.Event.ID][w1.ID], at(5*time.Second)), failed(d[e1.Event.ID][w2.ID], at(5*time.Second)))

		for _, c := range []struct {
			name string
			p    store.DeliveryListParams
			want []string
		}{
			{"all", store.DeliveryListParams{Scope: auth.AllTenants()}, all},
			{"tenant", store.DeliveryListParams{Scope: auth.AllTenants(), Tenant: tenantAcme}, []string{id(e1, w1), id(e1, w2), id(e2, w1), id(e2, w2), id(e3, w1)}},
			{"other tenant", store.DeliveryListParams{Scope: auth.AllTenants(), Tenant: tenantOther}, []string{id(e4, w3)}},
			{"webhook", store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: w1.ID}, []string{id(e1, w1), id(e2, w1), id(e3, w1)}},
			{"event", store.DeliveryListParams{Scope: auth.AllTenants(), EventID: e1.Event.ID}, []string{id(e1, w1), id(e1, w2)}},
			{"succeeded", store.DeliveryListParams{Scope: auth.AllTenants(), Statuses: []webhook.DeliveryStatus{webhook.DeliverySucceeded}}, []string{id(e1, w1)}},
			{"failed", store.DeliveryListParams{Scope: auth.AllTenants(), Statuses: []webhook.DeliveryStatus{webhook.DeliveryFailed}}, []string{id(e1, w2)}},
			{"pending", store.DeliveryListParams{Scope: auth.AllTenants(), Statuses: []webhook.DeliveryStatus{webhook.DeliveryPending}}, []string{id(e2, w1), id(e2, w2), id(e3, w1), id(e4, w3)}},
			{"webhook and status", store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: w2.ID, Statuses: []webhook.DeliveryStatus{webhook.DeliveryPending}}, []string{id(e2, w2)}},
			{"event and webhook", store.DeliveryListParams{Scope: auth.AllTenants(), EventID: e2.Event.ID, WebhookID: w1.ID}, []string{id(e2, w1)}},
			{"no match", store.DeliveryListParams{Scope: auth.AllTenants(), Tenant: tenantOther, WebhookID: w1.ID}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				page, err := h.s.DeliveryList(h.ctx, c.p)
				ok(t, err, "DeliveryList")
				if !sameSet(deliveryIDs(page.Deliveries), c.want) {
					t.Errorf("DeliveryList(%+v):\n got %v\nwant %v", c.p, deliveryIDs(page.Deliveries), c.want)
				}
				checkNewestFirst(t, page.Deliveries)
			})
		}

		// Paging: 6 deliveries by 4.
		var got []webhook.Delivery
		var sizes []int
		p := store.DeliveryListParams{Scope: auth.AllTenants(), Limit: 4}
		for i := 0; ; i++ {
			if i > 6 {
				t.Fatalf("paging does not end: %v", sizes)
			}
			page, err := h.s.DeliveryList(h.ctx, p)
			ok(t, err, "DeliveryList")
			sizes = append(sizes, len(page.Deliveries))
			got = append(got, page.Deliveries...)
			if page.Next == "" {
				break
			}
			p.Cursor = page.Next
		}
		if !slices.Equal(sizes, []int{4, 2}) || !sameSet(deliveryIDs(got), all) {
			t.Errorf("pages of %v holding %v, want pages of [4 2] holding each of %v once", sizes, deliveryIDs(got), all)
		}
		checkNewestFirst(t, got)
		equal(t, "a listed delivery vs DeliveryGet", got[0], h.delivery(got[0].ID), normDelivery)

		want := map[webhook.DeliveryStatus]int64{webhook.DeliveryPending: 4, webhook.DeliverySucceeded: 1, webhook.DeliveryFailed: 1}
		if c := counts(); !maps.Equal(c, want) {
			t.Errorf("DeliveryCounts: %v, want %v", c, want)
		}
	})

	t.Run("DeliveryGetNotFound", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		_, err := h.s.DeliveryGet(h.ctx, auth.AllTenants(), webhook.NewID(webhook.PrefixDelivery))
		wantCode(t, err, webhook.ENOTFOUND, "DeliveryGet")
	})
}

// checkNewestFirst checks that deliveries are listed newest first.
func checkNewestFirst(t *testing.T, ds []webhook.Delivery) {
	t.Helper()
	for i := 1; i < len(ds); i++ {
		if ds[i].CreatedAt.After(ds[i-1].CreatedAt) {
			t.Errorf("delivery %s (created %s) listed after the older %s (created %s)",
				ds[i].ID, ds[i].CreatedAt, ds[i-1].ID, ds[i-1].CreatedAt)
		}
	}
}
