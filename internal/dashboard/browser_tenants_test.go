package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browseTenants clicks through the Tenants pages: the list with its counts
// and search, adding a tenant (a field error first), its page with its
// webhooks, the tenant column and filter of Webhooks and Events, and a
// cascading delete. binURL is a request-inspector bin to point webhooks at.
func browseTenants(t *testing.T, h *hookline, b *browser, binURL string) {
	ctx := b.ctx
	var hook struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{"name": "Acme payments", "url": binURL,
		"events": []string{"payment_received"}, "tenant": "acme"}, &hook); code != http.StatusCreated {
		t.Fatalf("create acme's webhook: %d", code)
	}
	if code := h.api(t, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme",
		"data": map[string]any{"amount": 12}}, nil); code != http.StatusAccepted {
		t.Fatalf("publish for acme: %d", code)
	}

	do(t, ctx, chromedp.Navigate(h.URL+"/"))
	nav(t, ctx, chromedp.Click(css(`nav a[href="/tenants"]`)))
	do(t, ctx, waitText("main h1", "Tenants"),
		waitText(`tr[data-tenant="acme"]`, "1"), chromedp.WaitVisible(css(`tr[data-tenant="default"]`)))

	// Add one: the bad email comes back next to its field, the rest kept.
	do(t, ctx,
		chromedp.SetValue(css("#tenant-id"), "globex:eu"),
		chromedp.SetValue(css("#tenant-name"), "Globex Europe"),
		chromedp.SetValue(css("#contact-email"), "not an address"),
		chromedp.SetValue(css("#brand-accent"), "#b5179e"),
		chromedp.SetValue(css("#metadata"), "plan=gold\nregion=eu"),
	)
	if code := nav(t, ctx, chromedp.Submit(css("#tenant-id"))); code != http.StatusUnprocessableEntity {
		t.Errorf("invalid tenant form: %d", code)
	}
	do(t, ctx, waitText("#contact_email-error", "must be an email address"))
	if v := run(t, ctx, chromedp.Value(css("#tenant-name"))); v != "Globex Europe" {
		t.Errorf("name not kept: %q", v)
	}
	do(t, ctx, chromedp.SetValue(css("#contact-email"), "ops@globex.example"))
	nav(t, ctx, chromedp.Submit(css("#tenant-id")))
	do(t, ctx, waitText(".notice", "Tenant created."), waitText("main h1", "Globex Europe"))
	b.screenshot(t, ctx, "tenant-new")

	// The list, searched; then acme's page with its webhook.
	do(t, ctx, chromedp.Navigate(h.URL+"/tenants"), chromedp.WaitVisible(css(`tr[data-tenant="globex:eu"]`)))
	b.screenshot(t, ctx, "tenants")
	colorScheme(t, ctx, "dark")
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(css("#tenants")))
	b.screenshot(t, ctx, "tenants-dark")
	colorScheme(t, ctx, "light")
	do(t, ctx, chromedp.SetValue(css("#q"), "ACM"))
	nav(t, ctx, chromedp.Submit(css("#q")))
	do(t, ctx, chromedp.WaitVisible(css(`tr[data-tenant="acme"]`)), chromedp.WaitNotPresent(css(`tr[data-tenant="globex:eu"]`)))
	nav(t, ctx, chromedp.Click(css(`tr[data-tenant="acme"] .name-cell a`)))
	do(t, ctx, waitText(`#tenant-webhooks tr[data-webhook="`+hook.ID+`"]`, "Acme payments"))
	b.screenshot(t, ctx, "tenant")

	// Webhooks and events show and filter by tenant.
	do(t, ctx, chromedp.Navigate(h.URL+"/"), chromedp.SetValue(css("#tenant"), "acme"))
	nav(t, ctx, chromedp.Submit(css("#tenant")))
	do(t, ctx, chromedp.WaitVisible(css(`tr[data-webhook="`+hook.ID+`"]`)))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#webhooks tbody tr").length`)); n != 1 {
		t.Errorf("webhooks of tenant acme: %d rows, want 1", n)
	}
	b.screenshot(t, ctx, "webhooks-tenant")
	do(t, ctx, chromedp.Navigate(h.URL+"/events?tenant=acme"), chromedp.WaitVisible(css("#events")))
	if text := run(t, ctx, chromedp.Text(css("#events tbody"))); strings.Count(text, "payment_received") != 1 || !strings.Contains(text, "acme") {
		t.Errorf("events of tenant acme:\n%s", text)
	}
	b.screenshot(t, ctx, "events-tenant")

	// Delete acme with its webhook.
	do(t, ctx, chromedp.Navigate(h.URL+"/tenants/acme"))
	nav(t, ctx, chromedp.Click(css(`a[href="/tenants/acme/delete"]`)))
	do(t, ctx, waitText("main h1", "Delete this tenant?"), waitText("main", "1 webhook(s)"))
	b.screenshot(t, ctx, "tenant-delete")
	nav(t, ctx, chromedp.Click(css(`form[action="/tenants/acme/delete"] button`)))
	do(t, ctx, waitText(".notice", "Tenant deleted."), chromedp.WaitNotPresent(css(`tr[data-tenant="acme"]`)))
	if code := h.api(t, "GET", "/api/v1/webhooks/"+hook.ID, nil, nil); code != http.StatusNotFound {
		t.Errorf("acme's webhook after the cascading delete: %d", code)
	}
}
