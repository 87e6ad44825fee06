package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// failAll claims every delivery due at now and records each as finally
// failed, returning them as they were claimed.
func (h *harness) failAll(now time.Time) []webhook.Delivery {
	h.t.Helper()
	tasks := h.claim("f", now, 1000)
	results := make([]store.AttemptResult, len(tasks))
	out := make([]webhook.Delivery, len(tasks))
	for i, tk := range tasks {
		r := failed(tk.Delivery, now)
		r.Lease = tk.Lease
		results[i], out[i] = r, tk.Delivery
	}
	if len(results) > 0 {
		h.record(results...)
	}
	return out
}

func (h *harness) recover(p store.DeliveryRecoverParams) int {
	h.t.Helper()
	n, err := h.s.DeliveryRecover(h.ctx, p)
	ok(h.t, err, "DeliveryRecover")
	return n
}

var onlyFailed = []webhook.DeliveryStatus{webhook.DeliveryFailed}

func testRecover(t *testing.T, open Opener) {
	t.Run("WindowStatesTypes", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook(inTenant(tenantAcme))
		other := h.createWebhook(inTenant(tenantAcme))
		since, until := at(time.Minute), at(10*time.Minute)
		before := h.publish(tenantAcme, typeOrderCreated, since.Add(-time.Microsecond)) // just outside
		first := h.publish(tenantAcme, typeOrderCreated, since)                         // the window's first instant
		paid := h.publish(tenantAcme, typeOrderPaid, at(5*time.Minute))
		ok1 := h.publish(tenantAcme, typeOrderCreated, at(6*time.Minute))
		last := h.publish(tenantAcme, typeOrderCreated, until) // until is outside
		of := func(res store.EventCreateResult, hook webhook.Webhook) string {
			for _, d := range res.Deliveries {
				if d.WebhookID == hook.ID {
					return d.ID
				}
			}
			t.Fatalf("no delivery of %s to %s", res.Event.ID, hook.ID)
			return ""
		}
		// Everything fails but ok1's delivery to w, which succeeds, and
		// paid's delivery to w, which stays pending (a retry is due later).
		now := at(20 * time.Minute)
		tasks := h.claim("f", now, 100)
		var results []store.AttemptResult
		for _, tk := range tasks {
			var r store.AttemptResult
			switch tk.Delivery.ID {
			case of(ok1, w):
				r = succeeded(tk.Delivery, now)
			case of(paid, w):
				r = retried(tk.Delivery, now, at(2*time.Hour))
			default:
				r = failed(tk.Delivery, now)
			}
			r.Lease = tk.Lease
			results = append(results, r)
		}
		h.record(results...)
		failedBefore := h.webhook(w.ID).Stats.Failed

		p := store.DeliveryRecoverParams{Scope: auth.AllTenants(), WebhookID: w.ID, Statuses: onlyFailed,
			Since: since, Until: until, DryRun: true, Now: at(time.Hour)}
		if n := h.recover(p); n != 1 {
			t.Errorf("dry run: %d, want 1 (the failed delivery at since; not the one before, at until, pending or succeeded)", n)
		}
		p.Until = until.Add(time.Microsecond)
		if n := h.recover(p); n != 2 {
			t.Errorf("dry run with until just past the last: %d, want 2", n)
		}
		p.EventTypes = []string{typeOrderPaid}
		if n := h.recover(p); n != 0 {
			t.Errorf("dry run of order.paid: %d, want 0 (its delivery is pending)", n)
		}
		p.EventTypes = []string{typeOrderCreated, typeUserSignup}
		if n := h.recover(p); n != 2 {
			t.Errorf("dry run of order.created: %d, want 2", n)
		}
		p.Statuses = nil
		if n := h.recover(p); n != 0 {
			t.Errorf("dry run of no state: %d, want 0", n)
		}
		if got := h.delivery(of(first, w)).Status; got != webhook.DeliveryFailed {
			t.Fatalf("a dry run changed a delivery: %s", got)
		}

		p.Statuses, p.DryRun = onlyFailed, false
		if n := h.recover(p); n != 2 {
			t.Fatalf("recover: %d, want 2", n)
		}
		for _, id := range []string{of(first, w), of(last, w)} {
			d := h.delivery(id)
			if d.Status != webhook.DeliveryPending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(p.Now) ||
				d.Attempts != 1 || d.RetryBase != 1 {
				t.Errorf("recovered %s: %+v, want pending, due at %s, 1 attempt and its schedule counted from it", id, d, p.Now)
			}
		}
		for _, id := range []string{of(before, w), of(before, other), of(first, other), of(last, other)} {
			if got := h.delivery(id).Status; got != webhook.DeliveryFailed {
				t.Errorf("delivery %s outside the selection: %s, want failed", id, got)
			}
		}
		if got := h.delivery(of(ok1, w)).Status; got != webhook.DeliverySucceeded {
			t.Errorf("succeeded delivery: %s", got)
		}
		if got := h.webhook(w.ID).Stats.Failed; got != failedBefore-2 {
			t.Errorf("stats.failed after recovery: %d, want %d", got, failedBefore-2)
		}
		// Idempotent: the recovered ones are no longer failed.
		if n := h.recover(p); n != 0 {
			t.Errorf("second recover: %d, want 0", n)
		}
		got := h.claim("g", p.Now, 100)
		if !sameSet(taskIDs(got), []string{of(first, w), of(last, w)}) {
			t.Fatalf("claim after recovery: %v", taskIDs(got))
		}
		for _, tk := range got {
			if tk.Delivery.RetryBase != 1 {
				t.Errorf("claimed %s with retry base %d, want 1", tk.Delivery.ID, tk.Delivery.RetryBase)
			}
		}
	})

	t.Run("Scope", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook(inTenant(tenantAcme))
		h.publish(tenantAcme, typeOrderCreated, t0)
		h.failAll(at(time.Second))
		p := store.DeliveryRecoverParams{Scope: auth.TenantScope(tenantOther), WebhookID: w.ID, Statuses: onlyFailed,
			Since: at(-time.Hour), Until: at(time.Hour), Now: at(time.Hour)}
		for _, dry := range []bool{true, false} {
			p.DryRun = dry
			_, err := h.s.DeliveryRecover(h.ctx, p)
			wantCode(t, err, webhook.ENOTFOUND, "DeliveryRecover of another tenant's webhook")
		}
		p.WebhookID = webhook.NewID(webhook.PrefixWebhook)
		_, err := h.s.DeliveryRecover(h.ctx, p)
		wantCode(t, err, webhook.ENOTFOUND, "DeliveryRecover of a missing webhook")
		p.Scope, p.WebhookID = auth.TenantScope(tenantAcme), w.ID
		if n := h.recover(p); n != 1 {
			t.Errorf("recover in the webhook's own tenant: %d, want 1", n)
		}
	})

	t.Run("Batches", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		total := store.RecoverBatch + 3
		for i := range total {
			h.publish(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(i)*time.Millisecond))
		}
		if n := len(h.failAll(at(time.Hour))); n != total {
			t.Fatalf("failed %d deliveries, want %d", n, total)
		}
		p := store.DeliveryRecoverParams{Scope: auth.AllTenants(), WebhookID: w.ID, Statuses: onlyFailed,
			Since: t0, Until: at(time.Hour), Now: at(2 * time.Hour)}
		if n := h.recover(p); n != total {
			t.Fatalf("recover over more than one batch: %d, want %d", n, total)
		}
		page, err := h.s.DeliveryList(h.ctx, store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: w.ID,
			Statuses: onlyFailed, Limit: 1000})
		ok(t, err, "DeliveryList")
		if len(page.Deliveries) != 0 {
			t.Errorf("%d deliveries still failed after recovery", len(page.Deliveries))
		}
	})

	t.Run("FIFO", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook(fifoHook)
		a1 := h.publishKey("a", "", t0).Deliveries[0]
		a2 := h.publishKey("a", "", t0).Deliveries[0]
		// a1 and then a2 finally fail, each in its turn.
		for _, want := range []string{a1.ID, a2.ID} {
			got := h.failAll(at(time.Second))
			if len(got) != 1 || got[0].ID != want {
				t.Fatalf("failing the head: got %v, want %s", deliveryIDs(got), want)
			}
		}
		a3 := h.publishKey("a", "", at(time.Minute)).Deliveries[0]
		n := h.recover(store.DeliveryRecoverParams{Scope: auth.AllTenants(), WebhookID: w.ID, Statuses: onlyFailed,
			Since: t0, Until: at(time.Hour), Now: at(time.Hour)})
		if n != 2 {
			t.Fatalf("recover: %d, want 2", n)
		}
		// The recovered ones keep their places: a1, a2, then the waiting a3.
		now := at(time.Hour)
		for _, want := range []webhook.Delivery{a1, a2, a3} {
			got := h.claim("x", now, 100)
			if len(got) != 1 || got[0].Delivery.ID != want.ID || got[0].Delivery.Sequence != want.Sequence {
				t.Fatalf("claim: %v, want %s (#%d) alone", taskIDs(got), want.ID, want.Sequence)
			}
			r := succeeded(got[0].Delivery, now)
			r.Lease = got[0].Lease
			h.record(r)
			now = now.Add(time.Second)
		}
	})
}

func testDeliveryFilters(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook(inTenant(tenantAcme))
	var all []webhook.Delivery // oldest first
	for i := range 12 {
		typ := typeOrderCreated
		if i%3 == 0 {
			typ = typeOrderPaid
		}
		all = append(all, h.publish(tenantAcme, typ, at(time.Duration(i)*time.Minute)).Deliveries[0])
	}
	// Every other one fails; the rest stay pending.
	tasks := h.claim("f", at(time.Hour), 100)
	var results []store.AttemptResult
	failedIDs := map[string]bool{}
	for i, tk := range tasks {
		if i%2 == 1 {
			continue
		}
		r := failed(tk.Delivery, at(time.Hour))
		r.Lease = tk.Lease
		results = append(results, r)
		failedIDs[tk.Delivery.ID] = true
	}
	h.record(results...)
	_, err := h.s.DeliveryReleaseLeases(h.ctx, "f", at(time.Hour))
	ok(t, err, "DeliveryReleaseLeases")
	for i := range all {
		all[i] = h.delivery(all[i].ID)
	}
	want := func(keep func(webhook.Delivery) bool) []string {
		var ids []string
		for i := len(all) - 1; i >= 0; i-- {
			if keep(all[i]) {
				ids = append(ids, all[i].ID)
			}
		}
		return ids
	}
	base := store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: w.ID}
	with := func(f func(*store.DeliveryListParams)) store.DeliveryListParams {
		p := base
		f(&p)
		return p
	}
	ev5 := all[5]
	for _, c := range []struct {
		name string
		p    store.DeliveryListParams
		want []string
	}{
		{"failed", with(func(p *store.DeliveryListParams) { p.Statuses = onlyFailed }),
			want(func(d webhook.Delivery) bool { return failedIDs[d.ID] })},
		{"failed or pending", with(func(p *store.DeliveryListParams) {
			p.Statuses = []webhook.DeliveryStatus{webhook.DeliveryFailed, webhook.DeliveryPending}
		}), want(func(webhook.Delivery) bool { return true })},
		{"event type", with(func(p *store.DeliveryListParams) { p.EventType = typeOrderPaid }),
			want(func(d webhook.Delivery) bool { return d.EventType == typeOrderPaid })},
		{"window", with(func(p *store.DeliveryListParams) { p.Since, p.Until = at(3*time.Minute), at(7*time.Minute) }),
			want(func(d webhook.Delivery) bool {
				return !d.CreatedAt.Before(at(3*time.Minute)) && d.CreatedAt.Before(at(7*time.Minute))
			})},
		{"since only", with(func(p *store.DeliveryListParams) { p.Since = at(10 * time.Minute) }),
			[]string{all[11].ID, all[10].ID}},
		{"delivery id", with(func(p *store.DeliveryListParams) { p.Query = ev5.ID }), []string{ev5.ID}},
		{"event id", with(func(p *store.DeliveryListParams) { p.Query = ev5.EventID }), []string{ev5.ID}},
		{"delivery id prefix", with(func(p *store.DeliveryListParams) { p.Query = ev5.ID[:len(ev5.ID)-1] }),
			want(func(d webhook.Delivery) bool { return d.ID[:len(d.ID)-1] == ev5.ID[:len(ev5.ID)-1] })},
		{"no match", with(func(p *store.DeliveryListParams) { p.Query = "dlv_zzzz" }), nil},
		{"another tenant's scope", with(func(p *store.DeliveryListParams) { p.Scope = auth.TenantScope(tenantOther) }), nil},
		{"combined", with(func(p *store.DeliveryListParams) {
			p.Statuses, p.EventType, p.Since = onlyFailed, typeOrderCreated, at(2*time.Minute)
		}), want(func(d webhook.Delivery) bool {
			return failedIDs[d.ID] && d.EventType == typeOrderCreated && !d.CreatedAt.Before(at(2*time.Minute))
		})},
	} {
		// Page by two: the cursor must keep the filters' rows and order.
		var got []string
		p := c.p
		p.Limit = 2
		for range 20 {
			page, err := h.s.DeliveryList(h.ctx, p)
			ok(t, err, "DeliveryList "+c.name)
			got = append(got, deliveryIDs(page.Deliveries)...)
			if page.Next == "" {
				break
			}
			p.Cursor = page.Next
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
