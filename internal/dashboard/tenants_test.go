package dashboard

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// createTenantWebhook makes a webhook of tenant through the registry.
func (b *bundle) createTenantWebhook(tenant, name string) webhook.Webhook {
	b.t.Helper()
	u := "https://example.com/" + name
	w, _, err := b.reg.CreateWebhook(operator(), registry.WebhookInput{Tenant: &tenant, Name: &name, URL: &u,
		Events: []string{webhook.AllEvents}})
	if err != nil {
		b.t.Fatalf("create webhook: %v", err)
	}
	return w
}

func TestTenantsPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	ctx := context.Background()

	r := b.get("/tenants")
	mustContain(t, r.Body, "No tenants yet", `action="/tenants"`, `aria-current="page">Tenants<`)

	// Add, with every field.
	r = b.post("/tenants", url.Values{"id": {"acme:eu"}, "name": {"Acme EU"}, "contact_email": {"ops@acme.example"},
		"brand_name": {"Acme"}, "brand_accent": {"#0a7d5a"}, "metadata": {"plan=gold\r\n\r\nregion = eu"}})
	if r.Status != http.StatusSeeOther || r.Location != "/tenants/acme:eu?notice=tenant-created" {
		t.Fatalf("create: %d %q %s", r.Status, r.Location, r.Body)
	}
	tn, err := b.st.TenantGet(ctx, "acme:eu")
	if err != nil || tn.Name != "Acme EU" || tn.ContactEmail != "ops@acme.example" || tn.Branding == nil ||
		tn.Branding.Accent != "#0a7d5a" || !maps.Equal(tn.Metadata, map[string]string{"plan": "gold", "region": "eu"}) {
		t.Fatalf("created %+v, %v", tn, err)
	}
	r = b.get(r.Location)
	mustContain(t, r.Body, "Tenant created.", "<h1>Acme EU</h1>", `value="ops@acme.example"`, "plan=gold\nregion=eu",
		"No webhooks yet", `href="/events?tenant=acme%3aeu"`)

	// Bad fields stay next to their inputs, with what was typed.
	r = b.post("/tenants", url.Values{"id": {"initech"}, "contact_email": {"not mail"}, "brand_accent": {"red"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid create: %d", r.Status)
	}
	// Every problem at once, each next to its own field.
	mustContain(t, r.Body, `id="contact_email-error">must be an email address`, `id="brand_accent-error">must be a hex colour`,
		`value="not mail"`, `value="initech"`)
	r = b.post("/tenants", url.Values{"id": {"initech"}, "metadata": {"k=" + strings.Repeat("v", 501)}})
	mustContain(t, r.Body, `id="metadata-error">k: must be at most 500 characters`)
	r = b.post("/tenants", url.Values{"id": {"initech"}, "metadata": {"plan=gold\nno equals sign"}})
	mustContain(t, r.Body, `id="metadata-error">line 2: write KEY=VALUE`)
	r = b.post("/tenants", url.Values{"id": {"acme:eu"}})
	mustContain(t, r.Body, `id="id-error">tenant &#34;acme:eu&#34; already exists`)
	if _, err := b.st.TenantGet(ctx, "initech"); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("an invalid form made a tenant: %v", err)
	}

	// Webhooks and events of tenants: counts, the tenant column and filter.
	w1 := b.createTenantWebhook("acme:eu", "acme-one")
	b.createTenantWebhook("acme:eu", "acme-two")
	other := b.createTenantWebhook("globex", "globex-one")
	for _, tenant := range []string{"acme:eu", "globex"} {
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: tenant, Type: "payment_received",
			Data: json.RawMessage(`{}`), CreatedAt: b.clock.Now()}
		if _, err := b.st.EventCreate(ctx, store.EventCreateParams{Event: ev, IdempotencySince: b.clock.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	r = b.get("/tenants")
	mustContain(t, r.Body, `data-tenant="acme:eu"`, `data-tenant="globex"`, `href="/?tenant=acme%3aeu">2</a>`)
	r = b.get("/tenants?q=GLOB")
	mustContain(t, r.Body, `data-tenant="globex"`)
	mustNotContain(t, r.Body, `data-tenant="acme:eu"`)
	mustContain(t, b.get("/tenants?q=nothing").Body, "No tenant matches")

	r = b.get("/tenants/acme:eu")
	mustContain(t, r.Body, `data-webhook="`+w1.ID+`"`, "2 in all")
	mustNotContain(t, r.Body, `data-webhook="`+other.ID+`"`)

	r = b.get("/?tenant=globex")
	mustContain(t, r.Body, `data-webhook="`+other.ID+`"`, `value="globex"`, `href="/tenants/globex">globex</a>`)
	mustNotContain(t, r.Body, `data-webhook="`+w1.ID+`"`)
	r = b.get("/events?tenant=globex")
	mustContain(t, r.Body, `href="/tenants/globex">globex</a>`)
	mustNotContain(t, r.Body, `href="/tenants/acme:eu">`)
	mustContain(t, b.get("/events?tenant=nobody").Body, "No event matches")

	// Edit: emptied branding fields remove the branding.
	r = b.post("/tenants/acme:eu", url.Values{"name": {"Acme Europe"}, "contact_email": {""}, "metadata": {"plan=silver"}})
	if r.Status != http.StatusSeeOther || r.Location != "/tenants/acme:eu?notice=saved" {
		t.Fatalf("update: %d %q %s", r.Status, r.Location, r.Body)
	}
	tn, err = b.st.TenantGet(ctx, "acme:eu")
	if err != nil || tn.Name != "Acme Europe" || tn.ContactEmail != "" || tn.Branding != nil ||
		!maps.Equal(tn.Metadata, map[string]string{"plan": "silver"}) {
		t.Errorf("updated %+v, %v", tn, err)
	}
	r = b.post("/tenants/acme:eu", url.Values{"name": {""}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid update: %d", r.Status)
	}
	mustContain(t, r.Body, `id="name-error">must be 1 to 200 characters`, `data-webhook="`+w1.ID+`"`)

	// Delete: the confirmation names the webhooks that go too.
	r = b.get("/tenants/acme:eu/delete")
	mustContain(t, r.Body, "2 webhook(s)", `name="cascade" value="true"`, "Delete tenant and webhooks")
	if r := b.post("/tenants/acme:eu/delete", nil); r.Status != http.StatusConflict {
		t.Errorf("delete without cascade: %d, want 409", r.Status)
	}
	r = b.post("/tenants/acme:eu/delete", url.Values{"cascade": {"true"}})
	if r.Status != http.StatusSeeOther || r.Location != "/tenants?notice=tenant-deleted" {
		t.Fatalf("delete: %d %q %s", r.Status, r.Location, r.Body)
	}
	if _, err := b.st.WebhookGet(ctx, auth.AllTenants(), w1.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("webhook of the deleted tenant: %v", err)
	}
	if r := b.get("/tenants/acme:eu"); r.Status != http.StatusNotFound {
		t.Errorf("deleted tenant's page: %d", r.Status)
	}
	page, err := b.st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: "acme:eu"})
	if err != nil || len(page.Entries) != 3 || page.Entries[0].Action != "tenant.delete" || page.Entries[0].Actor != "user:"+testUser {
		t.Errorf("audit of acme:eu: %+v, %v; want create, update and delete by %s", page.Entries, err, testUser)
	}
}

func TestTenantFormsRefuseCrossSite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	b.createTenantWebhook("acme", "acme-one")
	for _, path := range []string{"/tenants", "/tenants/acme", "/tenants/acme/delete"} {
		r := b.post(path, url.Values{"id": {"forged"}, "name": {"forged"}, "cascade": {"true"}}, "Sec-Fetch-Site", "cross-site")
		if r.Status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, r.Status)
		}
	}
	if tn, err := b.st.TenantGet(context.Background(), "acme"); err != nil || tn.Name != "acme" || tn.Webhooks != 1 {
		t.Errorf("after forged posts: %+v, %v", tn, err)
	}
}
