package storetest

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func (h *harness) tenant(id string) webhook.Tenant {
	h.t.Helper()
	t, err := h.s.TenantGet(h.ctx, id)
	ok(h.t, err, "TenantGet "+id)
	return t
}

func (h *harness) tenantIDs(p store.TenantListParams) ([]string, string) {
	h.t.Helper()
	page, err := h.s.TenantList(h.ctx, p)
	ok(h.t, err, "TenantList")
	var ids []string
	for _, t := range page.Tenants {
		ids = append(ids, t.ID)
	}
	return ids, page.Next
}

func testTenants(t *testing.T, open Opener) {
	t.Run("CreateGetUpdate", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		want := webhook.Tenant{
			ID: "acme:eu@1", Name: "Acme EU", ContactEmail: "ops@acme.example",
			Branding: &webhook.Branding{Name: "Acme", LogoURL: "https://acme.example/logo.svg", Accent: "#0a7d5a"},
			Metadata: map[string]string{"plan": "gold", "region": "eu"}, CreatedAt: t0, UpdatedAt: t0,
		}
		ok(t, h.s.TenantCreate(h.ctx, want), "TenantCreate")
		if got := h.tenant(want.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("TenantGet:\n got %+v\nwant %+v", got, want)
		}
		wantCode(t, h.s.TenantCreate(h.ctx, webhook.Tenant{ID: want.ID, Name: "again", CreatedAt: t0, UpdatedAt: t0}),
			webhook.ECONFLICT, "TenantCreate of a taken ID")

		want.Name, want.ContactEmail, want.Branding, want.UpdatedAt = "Acme Europe", "", nil, at(time.Hour)
		want.Metadata = map[string]string{}
		ok(t, h.s.TenantUpdate(h.ctx, want), "TenantUpdate")
		got := h.tenant(want.ID)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after TenantUpdate:\n got %+v\nwant %+v", got, want)
		}
		if got.Metadata == nil {
			t.Error("empty metadata reads back as nil, want an empty map")
		}
		wantCode(t, h.s.TenantUpdate(h.ctx, webhook.Tenant{ID: "nobody", Name: "x", UpdatedAt: t0}),
			webhook.ENOTFOUND, "TenantUpdate of a missing tenant")
		_, err := h.s.TenantGet(h.ctx, "nobody")
		wantCode(t, err, webhook.ENOTFOUND, "TenantGet of a missing tenant")
	})

	t.Run("ListSearchAndPaging", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		for _, tn := range []webhook.Tenant{
			{ID: "b-corp", Name: "Bravo Corp"}, {ID: "a-corp", Name: "Alpha"}, {ID: "c-corp", Name: "Charlie BRAVO"},
			{ID: "d", Name: "Delta"},
		} {
			tn.CreatedAt, tn.UpdatedAt = t0, t0
			ok(t, h.s.TenantCreate(h.ctx, tn), "TenantCreate "+tn.ID)
		}
		if ids, next := h.tenantIDs(store.TenantListParams{}); !slices.Equal(ids, []string{"a-corp", "b-corp", "c-corp", "d"}) || next != "" {
			t.Errorf("all tenants: %v (next %q), want them in ID order on one page", ids, next)
		}
		// The search matches IDs and names, ignoring case, as a literal.
		if ids, _ := h.tenantIDs(store.TenantListParams{Search: "bravo"}); !slices.Equal(ids, []string{"b-corp", "c-corp"}) {
			t.Errorf("search bravo: %v, want b-corp and c-corp", ids)
		}
		if ids, _ := h.tenantIDs(store.TenantListParams{Search: "A-C"}); !slices.Equal(ids, []string{"a-corp"}) {
			t.Errorf("search A-C: %v, want a-corp", ids)
		}
		if ids, _ := h.tenantIDs(store.TenantListParams{Search: "%"}); len(ids) != 0 {
			t.Errorf("search %%: %v, want none (a literal, not a pattern)", ids)
		}
		var all []string
		cursor := ""
		for range 3 {
			ids, next := h.tenantIDs(store.TenantListParams{Cursor: cursor, Limit: 3})
			all = append(all, ids...)
			if cursor = next; cursor == "" {
				break
			}
		}
		if !slices.Equal(all, []string{"a-corp", "b-corp", "c-corp", "d"}) {
			t.Errorf("pages of 3: %v, want every tenant once in order", all)
		}
	})

	t.Run("Counts", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		ok(t, h.s.TenantCreate(h.ctx, webhook.Tenant{ID: tenantOther, Name: "Globex", CreatedAt: t0, UpdatedAt: t0}), "TenantCreate")
		h.createWebhook(inTenant(tenantAcme))
		h.createWebhook(inTenant(tenantAcme), inactive)
		w := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderPaid))
		res := h.publish(tenantAcme, typeOrderPaid, t0)
		var d webhook.Delivery
		for _, dd := range res.Deliveries {
			if dd.WebhookID == w.ID {
				d = dd
			}
		}
		h.record(retried(d, at(time.Second), at(time.Minute)))
		if got := h.tenant(tenantAcme); got.Webhooks != 3 || got.FailingWebhooks != 1 {
			t.Errorf("acme: %d webhooks, %d failing; want 3 and 1", got.Webhooks, got.FailingWebhooks)
		}
		if got := h.tenant(tenantOther); got.Webhooks != 0 || got.FailingWebhooks != 0 {
			t.Errorf("globex: %d webhooks, %d failing; want none", got.Webhooks, got.FailingWebhooks)
		}
		page, err := h.s.TenantList(h.ctx, store.TenantListParams{Search: tenantAcme})
		ok(t, err, "TenantList")
		if len(page.Tenants) != 1 || page.Tenants[0].Webhooks != 3 || page.Tenants[0].FailingWebhooks != 1 {
			t.Errorf("acme listed as %+v, want 3 webhooks and 1 failing", page.Tenants)
		}
	})

	t.Run("CreatedByUse", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook(inTenant(tenantAcme))
		if got := h.tenant(tenantAcme); got.Name != tenantAcme || !got.CreatedAt.Equal(t0) || got.Webhooks != 1 ||
			got.Metadata == nil || got.Branding != nil {
			t.Errorf("tenant made by its first webhook: %+v, want named after its ID, created with it", got)
		}
		h.publish(tenantOther, typeOrderCreated, at(time.Minute))
		if got := h.tenant(tenantOther); got.Name != tenantOther || !got.CreatedAt.Equal(at(time.Minute)) {
			t.Errorf("tenant made by its first event: %+v, want named after its ID, created with it", got)
		}
		// Later use leaves the row alone.
		edited := h.tenant(tenantAcme)
		edited.Name, edited.UpdatedAt = "Acme Inc", at(time.Hour)
		ok(t, h.s.TenantUpdate(h.ctx, edited), "TenantUpdate")
		h.publish(tenantAcme, typeOrderCreated, at(2*time.Hour))
		h.createWebhook(inTenant(tenantAcme))
		if got := h.tenant(tenantAcme); got.Name != "Acme Inc" || !got.UpdatedAt.Equal(at(time.Hour)) {
			t.Errorf("tenant after more use: %+v, want it unchanged", got)
		}
	})

	t.Run("StrictEvent", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		ev := newEvent("initech", typeOrderCreated, t0)
		_, err := h.s.EventCreate(h.ctx, store.EventCreateParams{Event: ev, IdempotencySince: at(-time.Hour), TenantMustExist: true})
		wantCode(t, err, webhook.EUNPROCESSABLE, "EventCreate of an unknown tenant, strictly")
		if _, err := h.s.EventGet(h.ctx, auth.AllTenants(), ev.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("the refused event: %v, want it not stored", err)
		}
		if _, err := h.s.TenantGet(h.ctx, "initech"); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("the refused event's tenant: %v, want none made", err)
		}
		// The default tenant exists (its webhook made it): strictly fine.
		res := h.create(store.EventCreateParams{Event: newEvent(webhook.DefaultTenant, typeOrderCreated, t0),
			IdempotencySince: at(-time.Hour), TenantMustExist: true})
		if len(res.Deliveries) != 1 {
			t.Errorf("strict event of a known tenant: %d deliveries, want 1", len(res.Deliveries))
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		ok(t, h.s.TenantCreate(h.ctx, webhook.Tenant{ID: "empty", Name: "Empty", CreatedAt: t0, UpdatedAt: t0}), "TenantCreate")
		deleted, err := h.s.TenantDelete(h.ctx, store.TenantDeleteParams{ID: "empty", Now: t0})
		ok(t, err, "TenantDelete of a tenant without webhooks")
		if len(deleted) != 0 {
			t.Errorf("deleted webhooks %v, want none", deleted)
		}
		_, err = h.s.TenantDelete(h.ctx, store.TenantDeleteParams{ID: "empty", Now: t0})
		wantCode(t, err, webhook.ENOTFOUND, "TenantDelete of a deleted tenant")

		acmeKey := auth.APIKey{ID: webhook.NewID(auth.PrefixAPIKey), Name: "acme", Prefix: "hkl_acme", Scopes: []string{auth.ScopeAdmin},
			Tenant: tenantAcme, CreatedAt: t0}
		otherKey := auth.APIKey{ID: webhook.NewID(auth.PrefixAPIKey), Name: "other", Prefix: "hkl_othr", Scopes: []string{auth.ScopeAdmin},
			Tenant: tenantOther, CreatedAt: t0}
		ok(t, h.s.APIKeyCreate(h.ctx, acmeKey, []byte("hash-acme")), "APIKeyCreate")
		ok(t, h.s.APIKeyCreate(h.ctx, otherKey, []byte("hash-other")), "APIKeyCreate")
		w1 := h.createWebhook(inTenant(tenantAcme))
		w2 := h.createWebhook(inTenant(tenantAcme))
		keep := h.createWebhook(inTenant(tenantOther))
		res := h.publish(tenantAcme, typeOrderCreated, t0)
		_, err = h.s.TenantDelete(h.ctx, store.TenantDeleteParams{ID: tenantAcme, Now: at(time.Minute)})
		wantCode(t, err, webhook.ECONFLICT, "TenantDelete of a tenant with webhooks")
		if got := h.tenant(tenantAcme); got.Webhooks != 2 {
			t.Errorf("after the refused delete: %d webhooks, want 2", got.Webhooks)
		}

		deleted, err = h.s.TenantDelete(h.ctx, store.TenantDeleteParams{ID: tenantAcme, Cascade: true, Now: at(time.Minute)})
		ok(t, err, "TenantDelete with cascade")
		want := []string{w1.ID, w2.ID}
		slices.Sort(want)
		if slices.Sort(deleted); !slices.Equal(deleted, want) {
			t.Errorf("deleted webhooks %v, want %v", deleted, want)
		}
		if _, err := h.s.TenantGet(h.ctx, tenantAcme); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("TenantGet after delete: %v, want not found", err)
		}
		// The deleted tenant's keys are revoked with it; another tenant's
		// are not.
		if k, err := h.s.APIKeyByHash(h.ctx, []byte("hash-acme")); err != nil || k.RevokedAt == nil || !k.RevokedAt.Equal(at(time.Minute)) {
			t.Errorf("the deleted tenant's key: revoked at %v, %v; want revoked at the delete", k.RevokedAt, err)
		}
		if k, err := h.s.APIKeyByHash(h.ctx, []byte("hash-other")); err != nil || k.RevokedAt != nil {
			t.Errorf("another tenant's key: revoked at %v, %v; want live", k.RevokedAt, err)
		}
		for _, id := range want {
			if _, err := h.s.WebhookGet(h.ctx, auth.AllTenants(), id); webhook.ErrorCode(err) != webhook.ENOTFOUND {
				t.Errorf("webhook %s after its tenant's delete: %v, want not found", id, err)
			}
		}
		for _, d := range res.Deliveries {
			if got := h.delivery(d.ID); got.Status != webhook.DeliveryFailed || got.LastError != "webhook deleted" {
				t.Errorf("pending delivery of a deleted webhook: %s %q, want failed, webhook deleted", got.Status, got.LastError)
			}
		}
		h.webhook(keep.ID)
		// The tenant's events stay; publishing again makes it anew.
		h.publish(tenantAcme, typeOrderCreated, at(time.Hour))
		if got := h.tenant(tenantAcme); !got.CreatedAt.Equal(at(time.Hour)) || !maps.Equal(got.Metadata, map[string]string{}) {
			t.Errorf("tenant made again: %+v", got)
		}
	})
}
