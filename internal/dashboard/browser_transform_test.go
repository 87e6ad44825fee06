package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hookline/hookline/internal/config"
)

// TestBrowserTransformEditor types a transform into the webhook form,
// clicks "Test against the example payload" and reads the request it
// makes in place; a script that does not compile shows its line; the
// customer portal's form runs one that cancels. axe-core finds no
// violation on the form with a result shown; screenshots in light and
// dark.
func TestBrowserTransformEditor(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	h := startHookline(t, func(c *config.Config) { c.TransformTimeout = 5 * time.Second }) // not the busy machine's limit
	b := startBrowser(t, chrome)
	ctx := b.ctx

	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	do(t, ctx, chromedp.Navigate(h.URL+"/webhooks/new"), chromedp.WaitVisible(css("#transform")))
	run(t, ctx, chromedp.Evaluate[bool](`(() => {
		for (const o of document.querySelectorAll('#events input[type=checkbox]')) o.checked = o.value === 'payment_received';
		document.querySelector('#name').value = 'CRM';
		document.querySelector('#url').value = 'https://crm.example.com/in';
		return true;
	})()`))
	do(t, ctx, chromedp.SetValue(css("#transform"), "function handler(webhook) {\n"+
		"  const d = webhook.payload.data\n"+
		"  webhook.method = 'PUT'\n"+
		"  webhook.headers['X-Source'] = 'hookline'\n"+
		"  webhook.payload = {customer: d.customer_name, total: d.payment_total_raw}\n"+
		"  return webhook\n}"),
		chromedp.Click(css("#transform-test")),
		waitText("#transform-result", "Would send"))
	result := run(t, ctx, chromedp.Text(css("#transform-result")))
	for _, want := range []string{"PUT https://crm.example.com/in", "X-Source: hookline", `"total": 29`, "Webhook-Signature"} {
		if !strings.Contains(result, want) {
			t.Errorf("the test result lacks %q:\n%s", want, result)
		}
	}
	if loc := run(t, ctx, chromedp.Location()); loc != h.URL+"/webhooks/new" {
		t.Errorf("the test left the form for %s", loc)
	}
	do(t, ctx, chromedp.ScrollIntoView(css("#transform")))
	b.screenshot(t, ctx, "webhook-transform-test")
	axeCheck(t, ctx, axe, "webhook form with a transform test result")
	colorScheme(t, ctx, "dark")
	b.screenshot(t, ctx, "webhook-transform-test-dark")
	axeCheck(t, ctx, axe, "webhook form with a transform test result (dark)")
	colorScheme(t, ctx, "light")

	do(t, ctx, chromedp.SetValue(css("#transform"), "function handler(webhook) {\n  return webhook +\n}"),
		chromedp.Click(css("#transform-test")),
		waitText("#transform-result", "line 3, column 1"))
	b.screenshot(t, ctx, "webhook-transform-error")

	// Saved with a good transform, the edit page shows it back.
	do(t, ctx, chromedp.SetValue(css("#transform"), "function handler(w) { return w }"))
	if code := nav(t, ctx, chromedp.Submit(css("#name"))); code != http.StatusOK {
		t.Fatalf("save: %d", code)
	}
	do(t, ctx, waitText(".notice", "Webhook created."))
	if got := run(t, ctx, chromedp.Value(css("#transform"))); got != "function handler(w) { return w }" {
		t.Errorf("transform shown back as %q", got)
	}

	// The portal: a tenant's own form runs the same test.
	if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{"name": "Acme billing", "url": "https://acme.example/hooks",
		"events": []string{"*"}, "tenant": "acme"}, nil); code != http.StatusCreated {
		t.Fatalf("create the tenant's webhook: %d", code)
	}
	var link struct {
		URL string `json:"url"`
	}
	if code := h.api(t, "POST", "/api/v1/tenants/acme/portal-sessions", map[string]any{"ttl": "1h"}, &link); code != http.StatusCreated {
		t.Fatalf("mint portal link: %d", code)
	}
	_, query, _ := strings.Cut(link.URL, "/portal/open?")
	portal := b.tab(t)
	do(t, portal, chromedp.Navigate(h.URL+"/portal/open?"+query), chromedp.WaitVisible(css("#portal-webhooks")),
		chromedp.Navigate(h.URL+"/portal/webhooks/new"), chromedp.WaitVisible(css("#transform")),
		chromedp.SetValue(css("#transform"), "function handler(webhook) {\n  webhook.cancel = webhook.payload.data.payment_total_raw < 100\n  return webhook\n}"),
		chromedp.Click(css("#transform-test")),
		waitText("#transform-result", "Cancelled"))
	do(t, portal, chromedp.ScrollIntoView(css("#transform")))
	b.screenshot(t, portal, "portal-transform-test")
	axeCheck(t, portal, axe, "portal webhook form with a transform test result")
}
