package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPortal opens a customer-portal link in Chromium: the
// tenant's webhooks under its brand, no admin navigation, and a second
// opening of the same link refused with a page, not a redirect.
func TestBrowserPortal(t *testing.T) {
	chrome := findChromium(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	if code := h.api(t, "POST", "/api/v1/tenants", map[string]any{"id": "acme", "name": "Acme Inc.",
		"branding": map[string]any{"name": "Acme Cloud"}}, nil); code != http.StatusCreated {
		t.Fatalf("create tenant: %d", code)
	}
	for _, wh := range []map[string]any{
		{"name": "Acme payments", "url": "https://acme.example/hooks/payments", "events": []string{"payment_received"}, "tenant": "acme"},
		{"name": "Acme everything", "url": "https://acme.example/hooks/all", "events": []string{"*"}, "tenant": "acme"},
		{"name": "Globex billing", "url": "https://globex.example/hooks", "events": []string{"*"}, "tenant": "globex"},
	} {
		if code := h.api(t, "POST", "/api/v1/webhooks", wh, nil); code != http.StatusCreated {
			t.Fatalf("create webhook %s: %d", wh["name"], code)
		}
	}
	var link struct {
		URL string `json:"url"`
	}
	if code := h.api(t, "POST", "/api/v1/tenants/acme/portal-sessions", map[string]any{"ttl": "1h"}, &link); code != http.StatusCreated {
		t.Fatalf("mint portal link: %d", code)
	}
	// The link is on the server's public URL, which nothing resolves here:
	// open the same path on the server's address.
	_, query, _ := strings.Cut(link.URL, "/portal/open?")
	open := h.URL + "/portal/open?" + query

	do(t, ctx, chromedp.Navigate(open), chromedp.WaitVisible(css("#portal-webhooks")))
	if loc := run(t, ctx, chromedp.Location()); loc != h.URL+"/portal/" {
		t.Errorf("the link went to %s", loc)
	}
	text := run(t, ctx, chromedp.Text(css("body")))
	for _, want := range []string{"Acme Cloud", "Acme payments", "Acme everything", "Your webhooks"} {
		if !strings.Contains(text, want) {
			t.Errorf("portal page lacks %q", want)
		}
	}
	for _, bad := range []string{"Globex", "API keys", "Audit log", "Sign out"} {
		if strings.Contains(text, bad) {
			t.Errorf("portal page shows %q", bad)
		}
	}
	b.screenshot(t, ctx, "portal")
	colorScheme(t, ctx, "dark")
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(css("#portal-webhooks")))
	b.screenshot(t, ctx, "portal-dark")
	colorScheme(t, ctx, "light")

	do(t, ctx, chromedp.Navigate(open), waitText("main h1", "This link cannot be opened"))
	if text := run(t, ctx, chromedp.Text(css("main"))); !strings.Contains(text, "used already") {
		t.Errorf("reused link page: %s", text)
	}
	b.screenshot(t, ctx, "portal-link-used")
}
