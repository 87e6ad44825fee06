package e2e

import (
	"maps"
	"testing"

	"github.com/hookline/hookline/client"
)

func TestCLITenants(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	c := newCLI(t, s, true)

	var created client.Tenant
	c.json(&created, "tenants", "create", "acme", "--name", "Acme Inc.", "--contact-email", "ops@acme.example",
		"--metadata", "plan=gold", "--metadata", "region=eu", "--brand-accent", "#0a7d5a")
	if created.ID != "acme" || created.Name != "Acme Inc." || created.ContactEmail != "ops@acme.example" ||
		!maps.Equal(created.Metadata, map[string]string{"plan": "gold", "region": "eu"}) ||
		created.Branding == nil || created.Branding.Accent != "#0a7d5a" {
		t.Fatalf("created %+v", created)
	}
	mustContain(t, "create output", c.ok("tenants", "create", "globex"), "Created tenant globex.", "Name:", "globex")
	c.fails(1, []string{"already exists"}, "tenants", "create", "acme")
	c.fails(1, []string{"contact_email"}, "tenants", "create", "initech", "--contact-email", "nope")
	c.fails(2, nil, "tenants", "create")

	s.createWebhookWith(map[string]any{"name": "acme hook", "url": rc.URL, "events": []string{"*"}, "tenant": "acme"})
	var list []client.Tenant
	c.json(&list, "tenants", "list")
	if len(list) != 2 || list[0].ID != "acme" || list[0].Webhooks != 1 || list[1].ID != "globex" {
		t.Errorf("list: %+v", list)
	}
	c.json(&list, "tenants", "list", "--search", "GLOB")
	if len(list) != 1 || list[0].ID != "globex" {
		t.Errorf("list --search GLOB: %+v", list)
	}
	mustContain(t, "list table", c.ok("tenants", "list"), "ID", "WEBHOOKS", "FAILING", "acme", "Acme Inc.", "globex")
	mustContain(t, "get output", c.ok("tenants", "get", "acme"), "Contact:", "ops@acme.example", "plan=gold", "1 (0 failing)")
	c.fails(1, []string{"tenants list"}, "tenants", "get", "nobody")

	var updated client.Tenant
	c.json(&updated, "tenants", "update", "acme", "--name", "Acme Europe", "--clear-branding", "--clear-metadata")
	if updated.Name != "Acme Europe" || updated.Branding != nil || len(updated.Metadata) != 0 || updated.ContactEmail != "ops@acme.example" {
		t.Errorf("update: %+v", updated)
	}
	c.fails(2, []string{"nothing to change"}, "tenants", "update", "acme")

	c.fails(1, []string{"cascade"}, "tenants", "delete", "acme")
	mustContain(t, "delete output", c.ok("tenants", "delete", "acme", "--cascade"), "Deleted tenant acme.")
	var deleted map[string]any
	c.json(&deleted, "tenants", "delete", "globex")
	if deleted["id"] != "globex" || deleted["deleted"] != true {
		t.Errorf("delete --json: %v", deleted)
	}
	c.json(&list, "tenants", "list")
	if len(list) != 0 {
		t.Errorf("list after deletes: %+v", list)
	}
}
