package storetest

import (
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// scopeRows are one tenant's rows that reads by ID look for.
type scopeRows struct {
	webhook  webhook.Webhook
	event    string
	delivery string
}

// testScope: a read or write by ID limited to a tenant scope treats a row
// of another tenant exactly as a missing one: ENOTFOUND, or an empty list.
func testScope(t *testing.T, open Opener) {
	h := setup(t, open)
	rows := map[string]scopeRows{}
	for _, tenant := range []string{tenantAcme, tenantOther} {
		w := h.createWebhook(inTenant(tenant))
		res := h.publish(tenant, typeOrderCreated, t0)
		if len(res.Deliveries) != 1 {
			t.Fatalf("publish to %s: %d deliveries, want 1", tenant, len(res.Deliveries))
		}
		d := res.Deliveries[0]
		h.record(succeeded(d, at(time.Second)))
		rows[tenant] = scopeRows{webhook: w, event: res.Event.ID, delivery: d.ID}
	}

	scopes := []struct {
		name    string
		scope   auth.Scope
		visible map[string]bool
	}{
		{"all tenants", auth.AllTenants(), map[string]bool{tenantAcme: true, tenantOther: true}},
		{"one tenant", auth.TenantScope(tenantAcme), map[string]bool{tenantAcme: true}},
		{"the other tenant", auth.TenantScope(tenantOther), map[string]bool{tenantOther: true}},
		{"a tenant with no rows", auth.TenantScope("initech"), nil},
		{"no tenant", auth.Scope{}, nil},
	}
	for _, sc := range scopes {
		for tenant, r := range rows {
			what := sc.name + ", row of " + tenant + ": "
			visible := sc.visible[tenant]
			check := func(err error, method string) {
				t.Helper()
				if visible {
					ok(t, err, what+method)
				} else {
					wantCode(t, err, webhook.ENOTFOUND, what+method)
				}
			}
			w, err := h.s.WebhookGet(h.ctx, sc.scope, r.webhook.ID)
			check(err, "WebhookGet")
			if visible && w.ID != r.webhook.ID {
				t.Errorf("%sWebhookGet returned %s", what, w.ID)
			}
			_, err = h.s.EventGet(h.ctx, sc.scope, r.event)
			check(err, "EventGet")
			_, err = h.s.DeliveryGet(h.ctx, sc.scope, r.delivery)
			check(err, "DeliveryGet")

			want := 0
			if visible {
				want = 1
			}
			atts, err := h.s.AttemptList(h.ctx, sc.scope, r.delivery)
			ok(t, err, what+"AttemptList")
			if len(atts) != want {
				t.Errorf("%sAttemptList: %d attempts, want %d", what, len(atts), want)
			}
			atts, err = h.s.AttemptListByWebhook(h.ctx, sc.scope, r.webhook.ID, 10)
			ok(t, err, what+"AttemptListByWebhook")
			if len(atts) != want {
				t.Errorf("%sAttemptListByWebhook: %d attempts, want %d", what, len(atts), want)
			}
		}
	}

	// Writes: another tenant's webhook is neither changed nor deleted.
	acme, mine, theirs := auth.TenantScope(tenantAcme), rows[tenantAcme].webhook, rows[tenantOther].webhook
	for _, sc := range []auth.Scope{acme, {}} {
		renamed := theirs
		renamed.Name, renamed.UpdatedAt = "taken over", at(time.Hour)
		wantCode(t, h.s.WebhookUpdate(h.ctx, sc, renamed), webhook.ENOTFOUND, "WebhookUpdate of another tenant's webhook")
		wantCode(t, h.s.WebhookDelete(h.ctx, sc, theirs.ID), webhook.ENOTFOUND, "WebhookDelete of another tenant's webhook")
	}
	if got := h.webhook(theirs.ID); got.Name != theirs.Name || !got.UpdatedAt.Equal(theirs.UpdatedAt) {
		t.Errorf("another tenant's webhook changed: %+v", got)
	}
	renamed := mine
	renamed.Name, renamed.UpdatedAt = "renamed", at(time.Hour)
	ok(t, h.s.WebhookUpdate(h.ctx, acme, renamed), "WebhookUpdate in scope")
	if got := h.webhook(mine.ID); got.Name != "renamed" || got.Tenant != tenantAcme {
		t.Errorf("webhook after an update in scope: %+v", got)
	}
	ok(t, h.s.WebhookDelete(h.ctx, acme, mine.ID), "WebhookDelete in scope")
	_, err := h.s.WebhookGet(h.ctx, auth.AllTenants(), mine.ID)
	wantCode(t, err, webhook.ENOTFOUND, "WebhookGet after a delete in scope")

	t.Run("Writes", func(t *testing.T) { testScopeWrites(t, open) })
	t.Run("Lists", func(t *testing.T) { testScopeLists(t, open) })
	t.Run("OperatorEvents", func(t *testing.T) { testOperatorEvents(t, open) })
}
