package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func testWebhooks(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		full := webhook.Webhook{
			ID: webhook.NewID(webhook.PrefixWebhook), Tenant: tenantAcme, Name: "Orders → ERP",
			URL: "https://erp.example.com/hooks/orders?src=hookline", Description: "Sends orders to the ERP.",
			Events: []string{typeOrderPaid, typeOrderCreated}, Active: true,
			Headers: map[string]string{"Authorization": "Bearer abc", "X-Env": "prod"},
			Format:  webhook.FormatRaw, Integration: "wp-ultimo",
			CreatedAt: at(1*time.Microsecond + 3*time.Hour), UpdatedAt: at(999999*time.Microsecond + 4*time.Hour),
		}
		off := webhook.Webhook{
			ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant, Name: "Catch-all",
			URL: "https://audit.example.org/in", Events: []string{webhook.AllEvents}, Active: false,
			Headers: map[string]string{"X-One": "1"}, Format: webhook.FormatEnvelope,
			DisabledReason: "endpoint answered 410 Gone", CreatedAt: t0, UpdatedAt: t0,
		}
		for _, w := range []webhook.Webhook{full, off} {
			ok(t, h.s.WebhookCreate(h.ctx, w, "whsec_roundtrip"), "WebhookCreate")
			equal(t, "WebhookGet "+w.Name, h.webhook(w.ID), w, normWebhook)
		}
		page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants()})
		ok(t, err, "WebhookList")
		if len(page.Webhooks) != 2 {
			t.Fatalf("WebhookList: got %d webhooks, want 2", len(page.Webhooks))
		}
		equal(t, "WebhookList[0]", page.Webhooks[0], off, normWebhook)
		equal(t, "WebhookList[1]", page.Webhooks[1], full, normWebhook)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		missing := webhook.NewID(webhook.PrefixWebhook)
		_, err := h.s.WebhookGet(h.ctx, auth.AllTenants(), missing)
		wantCode(t, err, webhook.ENOTFOUND, "WebhookGet")
		err = h.s.WebhookUpdate(h.ctx, auth.AllTenants(), webhook.Webhook{ID: missing, Events: []string{"*"}, UpdatedAt: t0})
		wantCode(t, err, webhook.ENOTFOUND, "WebhookUpdate")
		wantCode(t, h.s.WebhookDelete(h.ctx, auth.AllTenants(), missing), webhook.ENOTFOUND, "WebhookDelete")
		wantCode(t, h.s.WebhookDisable(h.ctx, auth.AllTenants(), missing, "gone", t0), webhook.ENOTFOUND, "WebhookDisable")
	})

	t.Run("UpdateReplacesEditableFields", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated))
		other := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated))

		upd := w
		upd.Name, upd.URL, upd.Description = "renamed", "https://new.example.com/in", "new description"
		upd.Events = []string{typeOrderPaid, typeUserSignup}
		upd.Headers = map[string]string{"X-New": "yes"}
		upd.Format, upd.Integration = webhook.FormatRaw, "zapier"
		upd.DisabledReason = ""
		upd.UpdatedAt = at(time.Hour)
		// Neither the tenant nor the creation time is editable.
		sneaky := upd
		sneaky.Tenant, sneaky.CreatedAt = tenantOther, at(-time.Hour)
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), sneaky), "WebhookUpdate")
		equal(t, "WebhookGet after update", h.webhook(w.ID), upd, normWebhook)

		// Matching follows the new subscriptions.
		if res := h.publish(tenantAcme, typeOrderCreated, at(2*time.Hour)); !slices.Equal(webhookIDsOf(res.Deliveries), []string{other.ID}) {
			t.Errorf("order.created after unsubscribing: deliveries to %v, want only %s", webhookIDsOf(res.Deliveries), other.ID)
		}
		if res := h.publish(tenantAcme, typeOrderPaid, at(2*time.Hour)); !slices.Equal(webhookIDsOf(res.Deliveries), []string{w.ID}) {
			t.Errorf("order.paid after subscribing: deliveries to %v, want only %s", webhookIDsOf(res.Deliveries), w.ID)
		}
		if res := h.publish(tenantOther, typeOrderPaid, at(2*time.Hour)); len(res.Deliveries) != 0 {
			t.Errorf("event of another tenant after an update naming it: %d deliveries, want 0", len(res.Deliveries))
		}

		// Deactivated by the user: no reason, no new deliveries.
		upd.Active, upd.UpdatedAt = false, at(3*time.Hour)
		upd.Stats.Deliveries = 1 // the order.paid above
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), upd), "WebhookUpdate inactive")
		equal(t, "WebhookGet after deactivation", h.webhook(w.ID), upd, normWebhook)
		if res := h.publish(tenantAcme, typeOrderPaid, at(4*time.Hour)); len(res.Deliveries) != 0 {
			t.Errorf("event for an inactive webhook: %d deliveries, want 0", len(res.Deliveries))
		}
	})

	t.Run("DeleteFailsPendingDeliveries", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook(subscribed(typeOrderCreated))
		done := h.deliver(at(time.Second))
		leased := h.deliver(at(2 * time.Second))
		waiting := h.deliver(at(3 * time.Second))
		h.record(succeeded(done, at(4*time.Second)))
		if got := taskIDs(h.claim("worker", at(2*time.Second), 1)); !slices.Equal(got, []string{leased.ID}) {
			t.Fatalf("claim: got %v, want [%s]", got, leased.ID)
		}

		ok(t, h.s.WebhookDelete(h.ctx, auth.AllTenants(), w.ID), "WebhookDelete")
		_, err := h.s.WebhookGet(h.ctx, auth.AllTenants(), w.ID)
		wantCode(t, err, webhook.ENOTFOUND, "WebhookGet after delete")
		wantCode(t, h.s.WebhookDelete(h.ctx, auth.AllTenants(), w.ID), webhook.ENOTFOUND, "WebhookDelete twice")

		for _, c := range []struct {
			d    webhook.Delivery
			want webhook.DeliveryStatus
		}{
			{done, webhook.DeliverySucceeded},
			{leased, webhook.DeliveryFailed},
			{waiting, webhook.DeliveryFailed},
		} {
			if got := h.delivery(c.d.ID).Status; got != c.want {
				t.Errorf("delivery created at %s: status %q after delete, want %q", c.d.CreatedAt, got, c.want)
			}
		}
		if tasks := h.claim("worker", at(time.Hour), 10); len(tasks) != 0 {
			t.Errorf("claim after delete: got %d tasks, want 0", len(tasks))
		}
		if res := h.publish(webhook.DefaultTenant, typeOrderCreated, at(time.Hour)); len(res.Deliveries) != 0 {
			t.Errorf("event after delete: %d deliveries, want 0", len(res.Deliveries))
		}
		page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants()})
		ok(t, err, "WebhookList")
		if len(page.Webhooks) != 0 {
			t.Errorf("WebhookList after delete: %v", webhookIDs(page.Webhooks))
		}
	})

	t.Run("Disable", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		now := at(time.Hour)
		ok(t, h.s.WebhookDisable(h.ctx, auth.AllTenants(), w.ID, "endpoint answered 410 Gone", now), "WebhookDisable")
		want := w
		want.Active, want.DisabledReason, want.UpdatedAt = false, "endpoint answered 410 Gone", now
		equal(t, "WebhookGet after disable", h.webhook(w.ID), want, normWebhook)
		if res := h.publish(webhook.DefaultTenant, typeOrderCreated, at(2*time.Hour)); len(res.Deliveries) != 0 {
			t.Errorf("event for a disabled webhook: %d deliveries, want 0", len(res.Deliveries))
		}
	})

	t.Run("ListPagination", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		var created []string
		for range 7 {
			created = append(created, h.createWebhook().ID)
		}
		slices.Reverse(created) // newest first
		var got []string
		var sizes []int
		cursor := ""
		for i := 0; ; i++ {
			if i > 7 {
				t.Fatalf("pagination does not end: pages %v", sizes)
			}
			page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants(), Cursor: cursor, Limit: 3})
			ok(t, err, "WebhookList")
			sizes = append(sizes, len(page.Webhooks))
			got = append(got, webhookIDs(page.Webhooks)...)
			if page.Next == "" {
				break
			}
			cursor = page.Next
		}
		if !slices.Equal(sizes, []int{3, 3, 1}) {
			t.Errorf("page sizes: got %v, want [3 3 1]", sizes)
		}
		if !slices.Equal(got, created) {
			t.Errorf("pages, concatenated:\n got %v\nwant %v (newest first, each once)", got, created)
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		orders := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated, typeOrderPaid),
			named("Orders Primary", "https://shop.example.com/hooks/ORDERS"))
		all := h.createWebhook(inTenant(tenantAcme), subscribed(webhook.AllEvents),
			named("Catch-all", "https://audit.example.org/in"))
		signups := h.createWebhook(inTenant(tenantAcme), subscribed(typeUserSignup), inactive,
			named("Signups", "https://crm.example.net/signup"))
		otherOrders := h.createWebhook(inTenant(tenantOther), subscribed(typeOrderCreated),
			named("Mirror", "https://other.example.com/x"))
		yes, no := true, false

		for _, c := range []struct {
			name string
			p    store.WebhookListParams
			want []webhook.Webhook // newest first
		}{
			{"all", store.WebhookListParams{Scope: auth.AllTenants()}, []webhook.Webhook{otherOrders, signups, all, orders}},
			{"tenant", store.WebhookListParams{Scope: auth.AllTenants(), Tenant: tenantAcme}, []webhook.Webhook{signups, all, orders}},
			{"other tenant", store.WebhookListParams{Scope: auth.AllTenants(), Tenant: tenantOther}, []webhook.Webhook{otherOrders}},
			{"unknown tenant", store.WebhookListParams{Scope: auth.AllTenants(), Tenant: "nobody"}, nil},
			{"event type", store.WebhookListParams{Scope: auth.AllTenants(), EventType: typeOrderCreated}, []webhook.Webhook{otherOrders, all, orders}},
			{"event type only by star", store.WebhookListParams{Scope: auth.AllTenants(), EventType: "invoice.sent"}, []webhook.Webhook{all}},
			{"event type and tenant", store.WebhookListParams{Scope: auth.AllTenants(), Tenant: tenantAcme, EventType: typeUserSignup}, []webhook.Webhook{signups, all}},
			{"active", store.WebhookListParams{Scope: auth.AllTenants(), Active: &yes}, []webhook.Webhook{otherOrders, all, orders}},
			{"inactive", store.WebhookListParams{Scope: auth.AllTenants(), Active: &no}, []webhook.Webhook{signups}},
			{"search name any case", store.WebhookListParams{Scope: auth.AllTenants(), Search: "catch"}, []webhook.Webhook{all}},
			{"search url any case", store.WebhookListParams{Scope: auth.AllTenants(), Search: "orders"}, []webhook.Webhook{orders}},
			{"search name or url", store.WebhookListParams{Scope: auth.AllTenants(), Search: "SIGNUP"}, []webhook.Webhook{signups}},
			{"search substring", store.WebhookListParams{Scope: auth.AllTenants(), Search: "example.o"}, []webhook.Webhook{all}},
			{"search no match", store.WebhookListParams{Scope: auth.AllTenants(), Search: "zzz"}, nil},
			{"search is literal, not a pattern", store.WebhookListParams{Scope: auth.AllTenants(), Search: "%"}, nil},
			{"search is literal, not a pattern (_)", store.WebhookListParams{Scope: auth.AllTenants(), Search: "_"}, nil},
			{"combined", store.WebhookListParams{Scope: auth.AllTenants(), Tenant: tenantAcme, Active: &yes, Search: "example"}, []webhook.Webhook{all, orders}},
			{"limit", store.WebhookListParams{Scope: auth.AllTenants(), EventType: typeOrderCreated, Limit: 2}, []webhook.Webhook{otherOrders, all}},
		} {
			t.Run(c.name, func(t *testing.T) {
				page, err := h.s.WebhookList(h.ctx, c.p)
				ok(t, err, "WebhookList")
				if got, want := webhookIDs(page.Webhooks), webhookIDs(c.want); !slices.Equal(got, want) {
					t.Errorf("WebhookList(%+v):\n got %v\nwant %v", c.p, got, want)
				}
			})
		}
	})
}

func webhookIDsOf(ds []webhook.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.WebhookID
	}
	return out
}

func testSecrets(t *testing.T, open Opener) {
	t.Run("Rotation", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		// createWebhook's secret.
		first := "whsec_" + w.ID

		check := func(now time.Time, want []webhook.Secret) {
			t.Helper()
			got, err := h.s.WebhookSecrets(h.ctx, auth.AllTenants(), w.ID, now)
			ok(t, err, "WebhookSecrets")
			if len(got) != len(want) {
				t.Fatalf("WebhookSecrets at %s: got %d secrets %+v, want %d", now, len(got), got, len(want))
			}
			for i := range want {
				if got[i].Value != want[i].Value || !sameTimePtr(got[i].ExpiresAt, want[i].ExpiresAt) {
					t.Errorf("WebhookSecrets at %s [%d]: got %q expiring %s, want %q expiring %s", now, i,
						got[i].Value, fmtTimePtr(got[i].ExpiresAt), want[i].Value, fmtTimePtr(want[i].ExpiresAt))
				}
			}
		}
		check(t0, []webhook.Secret{{Value: first}})

		until := at(24 * time.Hour)
		ok(t, h.s.WebhookRotateSecret(h.ctx, auth.AllTenants(), w.ID, "whsec_second", until), "WebhookRotateSecret")
		check(at(time.Hour), []webhook.Secret{{Value: "whsec_second"}, {Value: first, ExpiresAt: &until}})
		check(at(24*time.Hour-time.Microsecond), []webhook.Secret{{Value: "whsec_second"}, {Value: first, ExpiresAt: &until}})
		check(at(25*time.Hour), []webhook.Secret{{Value: "whsec_second"}})

		// A second rotation retires the first secret for good.
		until2 := at(48 * time.Hour)
		ok(t, h.s.WebhookRotateSecret(h.ctx, auth.AllTenants(), w.ID, "whsec_third", until2), "WebhookRotateSecret again")
		check(at(26*time.Hour), []webhook.Secret{{Value: "whsec_third"}, {Value: "whsec_second", ExpiresAt: &until2}})
		check(at(49*time.Hour), []webhook.Secret{{Value: "whsec_third"}})
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		missing := webhook.NewID(webhook.PrefixWebhook)
		_, err := h.s.WebhookSecrets(h.ctx, auth.AllTenants(), missing, t0)
		wantCode(t, err, webhook.ENOTFOUND, "WebhookSecrets")
		err = h.s.WebhookRotateSecret(h.ctx, auth.AllTenants(), missing, "whsec_x", at(time.Hour))
		wantCode(t, err, webhook.ENOTFOUND, "WebhookRotateSecret")
	})
}
