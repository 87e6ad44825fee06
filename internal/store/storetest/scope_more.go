package storetest

import (
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// tenantRows are one tenant's rows of every kind a tenant's principal
// reaches.
type tenantRows struct {
	webhook  webhook.Webhook
	event    webhook.Event
	delivery webhook.Delivery
	bin      bin.Bin
	request  bin.Request
	key      auth.APIKey
	audit    audit.Entry
}

// tenantFixture stores the rows of tenant: a webhook with a delivered
// event, a bin with a request, a key and an audit entry.
func (h *harness) tenantFixture(tenant string) tenantRows {
	h.t.Helper()
	var r tenantRows
	r.webhook = h.createWebhook(inTenant(tenant))
	res := h.publish(tenant, typeOrderCreated, t0)
	r.event, r.delivery = res.Event, res.Deliveries[0]
	h.record(succeeded(r.delivery, at(time.Second)))
	r.bin = newBin(t0, 10)
	r.bin.Tenant = tenant
	h.createBin(r.bin)
	r.request = h.addBinRequest(r.bin, at(time.Second))
	r.key = auth.APIKey{ID: webhook.NewID(auth.PrefixAPIKey), Name: "key of " + tenant, Prefix: "hkl_" + tenant,
		Scopes: []string{auth.ScopeAdmin}, Tenant: tenant, CreatedAt: t0}
	sum := sha256.Sum256([]byte(r.key.ID))
	ok(h.t, h.s.APIKeyCreate(h.ctx, r.key, sum[:]), "APIKeyCreate")
	r.audit = audit.Entry{ID: webhook.NewID(audit.Prefix), At: t0, Actor: "key:" + r.key.ID, Tenant: tenant,
		Action: "webhook.update", Target: r.webhook.ID}
	ok(h.t, h.s.AuditAdd(h.ctx, r.audit), "AuditAdd")
	return r
}

// testScopeWrites: the writes by ID that take a scope change nothing of
// another tenant's (ENOTFOUND, as for a missing row) and work in scope.
func testScopeWrites(t *testing.T, open Opener) {
	t.Parallel()
	h := setup(t, open)
	mine, theirs := h.tenantFixture(tenantAcme), h.tenantFixture(tenantOther)
	acme := auth.TenantScope(tenantAcme)
	now := at(time.Hour)
	for name, sc := range map[string]auth.Scope{"one tenant": acme, "no tenant": {}} {
		id := theirs.webhook.ID
		_, err := h.s.WebhookSecrets(h.ctx, sc, id, now)
		wantCode(t, err, webhook.ENOTFOUND, name+": WebhookSecrets of another tenant's webhook")
		wantCode(t, h.s.WebhookRotateSecret(h.ctx, sc, id, "whsec_taken", now), webhook.ENOTFOUND,
			name+": WebhookRotateSecret of another tenant's webhook")
		wantCode(t, h.s.WebhookDisable(h.ctx, sc, id, "taken over", now), webhook.ENOTFOUND,
			name+": WebhookDisable of another tenant's webhook")
		_, err = h.s.WebhookReplay(h.ctx, sc, id, t0, now)
		wantCode(t, err, webhook.ENOTFOUND, name+": WebhookReplay of another tenant's webhook")
		_, err = h.s.DeliveryRetry(h.ctx, sc, theirs.delivery.ID, now)
		wantCode(t, err, webhook.ENOTFOUND, name+": DeliveryRetry of another tenant's delivery")
		_, err = h.s.BinGet(h.ctx, sc, theirs.bin.ID)
		wantCode(t, err, webhook.ENOTFOUND, name+": BinGet of another tenant's bin")
		wantCode(t, h.s.BinDelete(h.ctx, sc, theirs.bin.ID), webhook.ENOTFOUND, name+": BinDelete of another tenant's bin")
		wantCode(t, h.s.APIKeyRevoke(h.ctx, sc, theirs.key.ID, now), webhook.ENOTFOUND,
			name+": APIKeyRevoke of another tenant's key")
	}
	// Theirs is as it was.
	w := h.webhook(theirs.webhook.ID)
	if !w.Active || w.DisabledReason != "" {
		t.Errorf("another tenant's webhook was disabled: %+v", w)
	}
	secrets, err := h.s.WebhookSecrets(h.ctx, auth.AllTenants(), theirs.webhook.ID, now)
	ok(t, err, "WebhookSecrets")
	if len(secrets) != 1 || secrets[0].Value != "whsec_"+theirs.webhook.ID {
		t.Errorf("another tenant's secrets changed: %+v", secrets)
	}
	if d := h.delivery(theirs.delivery.ID); d.Status != webhook.DeliverySucceeded {
		t.Errorf("another tenant's delivery was retried: %+v", d)
	}
	if _, err := h.s.BinGet(h.ctx, auth.AllTenants(), theirs.bin.ID); err != nil {
		t.Errorf("another tenant's bin: %v", err)
	}
	keys, err := h.s.APIKeyList(h.ctx, auth.TenantScope(tenantOther))
	ok(t, err, "APIKeyList")
	if len(keys) != 1 || keys[0].RevokedAt != nil {
		t.Errorf("another tenant's keys: %+v", keys)
	}

	// In scope, each works.
	id := mine.webhook.ID
	ok(t, h.s.WebhookRotateSecret(h.ctx, acme, id, "whsec_new", now.Add(time.Hour)), "WebhookRotateSecret in scope")
	secrets, err = h.s.WebhookSecrets(h.ctx, acme, id, now)
	ok(t, err, "WebhookSecrets in scope")
	if len(secrets) != 2 || secrets[0].Value != "whsec_new" {
		t.Errorf("secrets after a rotation in scope: %+v", secrets)
	}
	n, err := h.s.WebhookReplay(h.ctx, acme, id, t0, now)
	ok(t, err, "WebhookReplay in scope")
	if n != 1 {
		t.Errorf("WebhookReplay in scope: %d deliveries, want 1", n)
	}
	d, err := h.s.DeliveryRetry(h.ctx, acme, mine.delivery.ID, now)
	ok(t, err, "DeliveryRetry in scope")
	if d.Status != webhook.DeliveryPending {
		t.Errorf("DeliveryRetry in scope: %+v", d)
	}
	ok(t, h.s.WebhookDisable(h.ctx, acme, id, "gone", now), "WebhookDisable in scope")
	if w := h.webhook(id); w.Active || w.DisabledReason != "gone" {
		t.Errorf("webhook after WebhookDisable in scope: %+v", w)
	}
	ok(t, h.s.APIKeyRevoke(h.ctx, acme, mine.key.ID, now), "APIKeyRevoke in scope")
	ok(t, h.s.BinDelete(h.ctx, acme, mine.bin.ID), "BinDelete in scope")
}

// testScopeLists: every list that takes a scope lists the rows of the
// tenants it reaches, whatever the other filters ask; the zero Scope
// lists nothing.
func testScopeLists(t *testing.T, open Opener) {
	t.Parallel()
	h := setup(t, open)
	rows := map[string]tenantRows{tenantAcme: h.tenantFixture(tenantAcme), tenantOther: h.tenantFixture(tenantOther)}
	scopes := []struct {
		name    string
		scope   auth.Scope
		tenants []string
	}{
		{"all tenants", auth.AllTenants(), []string{tenantAcme, tenantOther}},
		{"one tenant", auth.TenantScope(tenantAcme), []string{tenantAcme}},
		{"no tenant", auth.Scope{}, nil},
	}
	for _, sc := range scopes {
		want := func(pick func(tenantRows) string) []string {
			var ids []string
			for _, tenant := range sc.tenants {
				ids = append(ids, pick(rows[tenant]))
			}
			return ids
		}
		check := func(what string, got, want []string) {
			t.Helper()
			if !sameSet(got, want) {
				t.Errorf("%s, %s: got %v, want %v", sc.name, what, got, want)
			}
		}
		wp, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: sc.scope})
		ok(t, err, "WebhookList")
		check("WebhookList", webhookIDs(wp.Webhooks), want(func(r tenantRows) string { return r.webhook.ID }))
		// A tenant filter outside the scope does not widen it.
		wp, err = h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: sc.scope, Tenant: tenantOther})
		ok(t, err, "WebhookList of a tenant")
		var other []string
		if slices.Contains(sc.tenants, tenantOther) {
			other = []string{rows[tenantOther].webhook.ID}
		}
		check("WebhookList of "+tenantOther, webhookIDs(wp.Webhooks), other)

		ep, err := h.s.EventList(h.ctx, store.EventListParams{Scope: sc.scope})
		ok(t, err, "EventList")
		var evs []string
		for _, e := range ep.Events {
			evs = append(evs, e.ID)
		}
		check("EventList", evs, want(func(r tenantRows) string { return r.event.ID }))

		dp, err := h.s.DeliveryList(h.ctx, store.DeliveryListParams{Scope: sc.scope})
		ok(t, err, "DeliveryList")
		check("DeliveryList", deliveryIDs(dp.Deliveries), want(func(r tenantRows) string { return r.delivery.ID }))

		bins, err := h.s.BinList(h.ctx, sc.scope)
		ok(t, err, "BinList")
		var binIDs []string
		for _, b := range bins {
			binIDs = append(binIDs, b.ID)
		}
		check("BinList", binIDs, want(func(r tenantRows) string { return r.bin.ID }))

		keys, err := h.s.APIKeyList(h.ctx, sc.scope)
		ok(t, err, "APIKeyList")
		var keyIDs []string
		for _, k := range keys {
			keyIDs = append(keyIDs, k.ID)
		}
		check("APIKeyList", keyIDs, want(func(r tenantRows) string { return r.key.ID }))

		ap, err := h.s.AuditList(h.ctx, store.AuditListParams{Scope: sc.scope})
		ok(t, err, "AuditList")
		var entries []string
		for _, e := range ap.Entries {
			entries = append(entries, e.ID)
		}
		check("AuditList", entries, want(func(r tenantRows) string { return r.audit.ID }))

		for tenant, r := range rows {
			visible := slices.Contains(sc.tenants, tenant)
			samples, err := h.s.EventSamples(h.ctx, sc.scope, tenant, typeOrderCreated, 10)
			ok(t, err, "EventSamples")
			if got := len(samples) == 1; got != visible {
				t.Errorf("%s, EventSamples of %s: %d events, want visible %v", sc.name, tenant, len(samples), visible)
			}
			reqs, err := h.s.BinRequestList(h.ctx, store.BinRequestListParams{Scope: sc.scope, BinID: r.bin.ID})
			ok(t, err, "BinRequestList")
			if got := len(reqs) == 1; got != visible {
				t.Errorf("%s, BinRequestList of %s's bin: %d requests, want visible %v", sc.name, tenant, len(reqs), visible)
			}
		}
	}
	// Audit entries of operators (no tenant) are theirs alone.
	op := audit.Entry{ID: webhook.NewID(audit.Prefix), At: t0, Actor: "system", Action: "key.create", Target: "key_x"}
	ok(t, h.s.AuditAdd(h.ctx, op), "AuditAdd")
	ap, err := h.s.AuditList(h.ctx, store.AuditListParams{Scope: auth.TenantScope(tenantAcme), Target: "key_x"})
	ok(t, err, "AuditList")
	if len(ap.Entries) != 0 {
		t.Errorf("a tenant reads the operator's audit entries: %+v", ap.Entries)
	}
}

// testOperatorEvents: a "*" subscription matches every event type except
// Hookline's own operational events (hookline.*), which only an explicit
// subscription matches: at publishing, at a replay and in the webhook
// list's event type filter.
func testOperatorEvents(t *testing.T, open Opener) {
	t.Parallel()
	h := setup(t, open)
	const opType = webhook.OperatorEventPrefix + "webhook.disabled"
	star := h.createWebhook()
	named := h.createWebhook(subscribed(opType))
	res := h.publish(webhook.DefaultTenant, opType, t0)
	var got []string
	for _, d := range res.Deliveries {
		got = append(got, d.WebhookID)
	}
	if !sameSet(got, []string{named.ID}) {
		t.Errorf("deliveries of %s: webhooks %v, want only the one naming it (%s), not %s (*)", opType, got, named.ID, star.ID)
	}
	res = h.publish(webhook.DefaultTenant, typeOrderCreated, t0)
	if len(res.Deliveries) != 1 || res.Deliveries[0].WebhookID != star.ID {
		t.Errorf("deliveries of %s: %+v, want one to the * webhook", typeOrderCreated, res.Deliveries)
	}

	n, err := h.s.WebhookReplay(h.ctx, auth.AllTenants(), star.ID, t0, at(time.Hour))
	ok(t, err, "WebhookReplay")
	if n != 1 {
		t.Errorf("replay of a * webhook: %d deliveries, want 1 (the operational event left out)", n)
	}
	n, err = h.s.WebhookReplay(h.ctx, auth.AllTenants(), named.ID, t0, at(time.Hour))
	ok(t, err, "WebhookReplay")
	if n != 1 {
		t.Errorf("replay of a webhook naming %s: %d deliveries, want 1", opType, n)
	}

	page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants(), EventType: opType})
	ok(t, err, "WebhookList")
	if ids := webhookIDs(page.Webhooks); !sameSet(ids, []string{named.ID}) {
		t.Errorf("webhooks subscribed to %s: %v, want only %s", opType, ids, named.ID)
	}
	page, err = h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants(), EventType: typeOrderCreated})
	ok(t, err, "WebhookList")
	if ids := webhookIDs(page.Webhooks); !sameSet(ids, []string{star.ID}) {
		t.Errorf("webhooks subscribed to %s: %v, want only %s", typeOrderCreated, ids, star.ID)
	}
}
