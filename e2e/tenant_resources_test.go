package e2e

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/config"
)

func withTenantsStrict(c *config.Config) { c.TenantsStrict = true }

// TestTenantResources walks the tenant API through the Go client: create,
// read, list, update, validation, tenants made by publishing and by
// webhooks, the counts, refused and cascading deletes, and the audit log.
func TestTenantResources(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	api := client.New(s.URL, s.Key)
	ctx := t.Context()

	acme, err := api.TenantCreate(ctx, client.TenantCreateParams{ID: "acme:eu", Name: "Acme EU",
		ContactEmail: "ops@acme.example", Metadata: map[string]string{"plan": "gold"},
		Branding: &client.Branding{Name: "Acme", Accent: "#0a7d5a"}})
	if err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	if acme.ID != "acme:eu" || acme.Name != "Acme EU" || acme.Branding == nil || acme.Branding.Accent != "#0a7d5a" ||
		acme.Metadata["plan"] != "gold" || acme.CreatedAt.IsZero() {
		t.Errorf("created %+v", acme)
	}
	if _, err := api.TenantCreate(ctx, client.TenantCreateParams{ID: "acme:eu"}); !client.IsConflict(err) {
		t.Errorf("TenantCreate of a taken ID: %v, want 409", err)
	}
	for _, bad := range []struct {
		p     client.TenantCreateParams
		field string
	}{
		{client.TenantCreateParams{}, "id"},
		{client.TenantCreateParams{ID: "has space"}, "id"},
		{client.TenantCreateParams{ID: "x", ContactEmail: "not an email"}, "contact_email"},
		{client.TenantCreateParams{ID: "x", Branding: &client.Branding{LogoURL: "javascript:alert(1)"}}, "branding.logo_url"},
		{client.TenantCreateParams{ID: "x", Branding: &client.Branding{Accent: "red"}}, "branding.accent"},
		{client.TenantCreateParams{ID: "x", Metadata: map[string]string{"k": strings.Repeat("v", 501)}}, "metadata.k"},
	} {
		_, err := api.TenantCreate(ctx, bad.p)
		var e *client.Error
		if !client.IsInvalid(err) || !errors.As(err, &e) || e.Field != bad.field {
			t.Errorf("TenantCreate(%+v): %v, want 400 about %s", bad.p, err, bad.field)
		}
	}
	// Every bad field at once, each at its JSON pointer.
	_, err = api.TenantCreate(ctx, client.TenantCreateParams{ID: "bad id", ContactEmail: "nope",
		Branding: &client.Branding{Accent: "red", LogoURL: "ftp://x"}, Metadata: map[string]string{"k": strings.Repeat("v", 501)}})
	var all400 *client.Error
	if !errors.As(err, &all400) {
		t.Fatalf("TenantCreate with five bad fields: %v", err)
	}
	var pointers []string
	for _, p := range all400.Errors {
		pointers = append(pointers, p.Pointer)
	}
	if want := []string{"/id", "/contact_email", "/branding/logo_url", "/branding/accent", "/metadata/k"}; !slices.Equal(pointers, want) {
		t.Errorf("problems at %v, want %v", pointers, want)
	}
	// Unknown members of branding are refused like any unknown field.
	if p := s.sendProblem(400, "POST", "/api/v1/tenants", map[string]any{"id": "x", "branding": map[string]any{"colour": "red"}}); !strings.HasPrefix(p.Field, "branding") {
		t.Errorf("unknown branding member: field %q, want branding…", p.Field)
	}

	// Publishing and creating webhooks make the tenants they name.
	rc := startReceiver(t, nil)
	s.createWebhookWith(map[string]any{"name": "a1", "url": rc.URL, "events": []string{"*"}, "tenant": "acme:eu"})
	failing := s.createWebhookWith(map[string]any{"name": "a2", "url": closedPortURL(t), "events": []string{"payment_received"}, "tenant": "acme:eu"})
	s.createWebhookWith(map[string]any{"name": "globex hook", "url": rc.URL, "events": []string{"*"}, "tenant": "globex"})
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "initech", "data": map[string]any{}}, nil)
	var pub struct {
		ID string `json:"id"`
	}
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme:eu", "data": map[string]any{}}, &pub)
	evID := pub.ID
	eventually(t, "the webhook of the closed port is failing", func() bool {
		got, err := api.TenantGet(ctx, "acme:eu")
		return err == nil && got.FailingWebhooks == 1
	})
	got, err := api.TenantGet(ctx, "acme:eu")
	if err != nil || got.Webhooks != 2 || got.FailingWebhooks != 1 {
		t.Errorf("acme:eu: %+v, %v; want 2 webhooks, 1 failing", got, err)
	}
	var all []string
	for tn, err := range api.TenantListAll(ctx, client.TenantListParams{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, tn.ID)
	}
	if want := []string{"acme:eu", "globex", "initech"}; !slices.Equal(all, want) {
		t.Errorf("every tenant in pages of 2: %v, want %v", all, want)
	}
	page, err := api.TenantList(ctx, client.TenantListParams{Search: "GLOB"})
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "globex" || page.Data[0].Name != "globex" || page.Data[0].Webhooks != 1 {
		t.Errorf("search GLOB: %+v, %v", page, err)
	}

	// Update: only the given fields; null branding removes it.
	up, err := api.TenantUpdate(ctx, "acme:eu", client.TenantUpdateParams{Name: client.Ptr("Acme Europe"), RemoveBranding: true})
	if err != nil || up.Name != "Acme Europe" || up.Branding != nil || up.ContactEmail != "ops@acme.example" ||
		!maps.Equal(up.Metadata, map[string]string{"plan": "gold"}) || !up.UpdatedAt.After(acme.UpdatedAt) {
		t.Errorf("update: %+v, %v", up, err)
	}
	if _, err := api.TenantUpdate(ctx, "nobody", client.TenantUpdateParams{Name: client.Ptr("x")}); !client.IsNotFound(err) {
		t.Errorf("update of a missing tenant: %v, want 404", err)
	}

	// Delete: refused while it has webhooks, then cascading.
	err = api.TenantDelete(ctx, "acme:eu", client.TenantDeleteParams{})
	if !client.IsConflict(err) || !strings.Contains(err.Error(), "cascade") {
		t.Errorf("delete with webhooks: %v, want 409 naming cascade", err)
	}
	if err := api.TenantDelete(ctx, "acme:eu", client.TenantDeleteParams{Cascade: true}); err != nil {
		t.Fatalf("delete with cascade: %v", err)
	}
	if _, err := api.TenantGet(ctx, "acme:eu"); !client.IsNotFound(err) {
		t.Errorf("get after delete: %v, want 404", err)
	}
	if _, err := api.WebhookGet(ctx, failing.ID); !client.IsNotFound(err) {
		t.Errorf("webhook of the deleted tenant: %v, want 404", err)
	}
	for _, d := range s.getEvent(evID).Deliveries {
		if d.WebhookID == failing.ID && d.Status != "failed" {
			t.Errorf("delivery to a deleted webhook: %+v, want failed", d)
		}
	}
	if err := api.TenantDelete(ctx, "initech", client.TenantDeleteParams{}); err != nil {
		t.Errorf("delete of a tenant without webhooks: %v", err)
	}

	var actions []string
	for e, err := range api.AuditListAll(ctx, client.AuditListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(e.Action, "tenant.") {
			actions = append(actions, e.Action+" "+e.Target+" "+e.Actor)
			if e.Action == "tenant.delete" && e.Target == "acme:eu" && !strings.Contains(e.Detail, failing.ID) {
				t.Errorf("cascading delete audited as %q, want the webhooks it removed named", e.Detail)
			}
		}
	}
	slices.Sort(actions)
	want := []string{"tenant.create acme:eu key:", "tenant.delete acme:eu key:", "tenant.delete initech key:", "tenant.update acme:eu key:"}
	if len(actions) != len(want) {
		t.Fatalf("tenant audit entries %q, want %q", actions, want)
	}
	for i := range want {
		if !strings.HasPrefix(actions[i], want[i]) {
			t.Errorf("tenant audit entries %q, want %q (by the key)", actions, want)
		}
	}
}

// TestTenantsStrict: with --tenants-strict, events and webhooks of unknown
// tenants are refused with a 422 that says how to create the tenant, and
// accepted once it exists.
func TestTenantsStrict(t *testing.T) {
	t.Parallel()
	s := startServer(t, withTenantsStrict)
	rc := startReceiver(t, nil)
	p := s.sendProblem(422, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme", "data": map[string]any{}})
	if p.Field != "tenant" || !strings.Contains(p.Detail, "POST /api/v1/tenants") {
		t.Errorf("strict publish to an unknown tenant: %+v", p)
	}
	p = s.sendProblem(422, "POST", "/api/v1/webhooks", map[string]any{"name": "acme hook", "url": rc.URL, "events": []string{"*"}, "tenant": "acme"})
	if p.Field != "tenant" || !strings.Contains(p.Detail, "--tenants-strict") {
		t.Errorf("strict webhook of an unknown tenant: %+v", p)
	}
	s.sendProblem(404, "GET", "/api/v1/tenants/acme", nil)
	// The default tenant, of requests that name none, is always known.
	s.createWebhook(rc.URL, "*")
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{}}, nil)
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "default", "data": map[string]any{}}, nil)

	s.mustDo(201, "POST", "/api/v1/tenants", map[string]any{"id": "acme"}, nil)
	wh := s.createWebhookWith(map[string]any{"name": "acme hook", "url": rc.URL, "events": []string{"*"}, "tenant": "acme"})
	var pub struct {
		Deliveries int `json:"deliveries"`
	}
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme", "data": map[string]any{}}, &pub)
	if pub.Deliveries != 1 || wh.Tenant != "acme" {
		t.Errorf("strict, known tenant: %d deliveries to %s's webhook, want 1", pub.Deliveries, wh.Tenant)
	}
}
