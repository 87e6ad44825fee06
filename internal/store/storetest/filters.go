package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func filtered(f string) hookOpt {
	return func(w *webhook.Webhook) { w.Filter = json.RawMessage(f) }
}

// testFilters: a webhook's payload filter is stored as given and read
// back, changed and removed; an event it excludes makes no delivery to
// it, at publish and on replay, whatever the other webhooks get.
func testFilters(t *testing.T, open Opener) {
	t.Run("Stored", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		const f = `{"data.amount":{"$gte":100}}`
		w := h.createWebhook(filtered(f))
		if got := string(h.webhook(w.ID).Filter); got != f {
			t.Fatalf("filter read back as %q, want %q", got, f)
		}
		w.Filter = json.RawMessage(`{"type":"order.paid"}`)
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
		if got := string(h.webhook(w.ID).Filter); got != `{"type":"order.paid"}` {
			t.Fatalf("filter after update %q", got)
		}
		w.Filter = nil
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
		if got := h.webhook(w.ID).Filter; got != nil {
			t.Fatalf("filter after removal %q", got)
		}
		page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants(), Limit: 10})
		ok(t, err, "WebhookList")
		if len(page.Webhooks) != 1 || page.Webhooks[0].Filter != nil {
			t.Errorf("listed %+v", page.Webhooks)
		}
	})

	t.Run("Fanout", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		plain := h.createWebhook(inTenant(tenantAcme))
		big := h.createWebhook(inTenant(tenantAcme), filtered(`{"data.amount":{"$gte":100}}`))
		paid := h.createWebhook(inTenant(tenantAcme), filtered(`{"type":"order.paid","data.items.*.sku":"A-1"}`))

		publish := func(typ, data string) []string {
			t.Helper()
			ev := newEvent(tenantAcme, typ, at(0))
			ev.Data = json.RawMessage(data)
			res := h.create(store.EventCreateParams{Event: ev, IdempotencySince: at(-24 * time.Hour)})
			var hooks []string
			for _, d := range res.Deliveries {
				hooks = append(hooks, d.WebhookID)
			}
			slices.Sort(hooks)
			return hooks
		}
		sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
		cases := []struct {
			typ, data string
			want      []string
		}{
			{typeOrderCreated, `{"amount": 50}`, sorted(plain.ID)},
			{typeOrderCreated, `{"amount": 150}`, sorted(plain.ID, big.ID)},
			{typeOrderPaid, `{"amount": 150, "items": [{"sku": "B-2"}, {"sku": "A-1"}]}`, sorted(plain.ID, big.ID, paid.ID)},
			{typeOrderPaid, `{"items": [{"sku": "B-2"}]}`, sorted(plain.ID)},
		}
		for _, c := range cases {
			if got := publish(c.typ, c.data); !slices.Equal(got, c.want) {
				t.Errorf("%s %s: deliveries to %v, want %v", c.typ, c.data, got, c.want)
			}
		}
		if got := h.webhook(big.ID).Stats.Deliveries; got != 2 {
			t.Errorf("the filtered webhook counts %d deliveries, want 2", got)
		}

		// Replay applies the filter as publishing did.
		late := h.createWebhook(inTenant(tenantAcme), filtered(`{"data.amount":{"$gt":100}}`))
		n, err := h.s.WebhookReplay(h.ctx, auth.AllTenants(), late.ID, at(-1), at(1))
		ok(t, err, "WebhookReplay")
		if n != 2 {
			t.Errorf("replay made %d deliveries, want 2 (the events with amount 150)", n)
		}
	})
}

// testSignature: a webhook's signature scheme is stored and changed.
func testSignature(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook(func(w *webhook.Webhook) { w.Signature = webhook.SignatureEd25519 })
	if got := h.webhook(w.ID).Signature; got != webhook.SignatureEd25519 {
		t.Fatalf("signature read back %q", got)
	}
	w.Signature = webhook.SignatureHMAC
	ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
	if got := h.webhook(w.ID).Signature; got != webhook.SignatureHMAC {
		t.Fatalf("signature after update %q", got)
	}
	if got := h.webhook(h.createWebhook().ID).Signature; got != webhook.SignatureHMAC {
		t.Errorf("default signature %q", got)
	}
}

// testRetryCounts: a webhook's succeeded and failed counters count
// deliveries in that final state, so a delivery retried by hand and
// failing again is counted once, and one that then succeeds moves from
// failed to succeeded; the delivery count does not change.
func testRetryCounts(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook()
	d := h.deliver(t0)
	h.claim("a", t0, 1)
	h.record(failed(d, at(time.Second)))
	stats := func(want string) {
		t.Helper()
		s := h.webhook(w.ID).Stats
		if got := fmt.Sprintf("deliveries %d, succeeded %d, failed %d", s.Deliveries, s.Succeeded, s.Failed); got != want {
			t.Errorf("stats: %s, want %s", got, want)
		}
	}
	stats("deliveries 1, succeeded 0, failed 1")
	_, err := h.s.DeliveryRetry(h.ctx, auth.AllTenants(), d.ID, at(time.Hour))
	ok(t, err, "DeliveryRetry")
	stats("deliveries 1, succeeded 0, failed 0")
	h.claim("b", at(time.Hour), 1)
	h.record(failed(d, at(time.Hour+time.Second)))
	stats("deliveries 1, succeeded 0, failed 1")
	_, err = h.s.DeliveryRetry(h.ctx, auth.AllTenants(), d.ID, at(2*time.Hour))
	ok(t, err, "DeliveryRetry")
	h.claim("c", at(2*time.Hour), 1)
	h.record(succeeded(d, at(2*time.Hour+time.Second)))
	stats("deliveries 1, succeeded 1, failed 0")
}
