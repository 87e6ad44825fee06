package dashboard_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAlerts manages alert channels in the dashboard: a field
// error first, a Slack-style channel added, "Send test alert" to it (the
// receiver gets the message and the page says so) and to a dead one (the
// page says why), no axe-core violation on the page with a result, light
// and dark, and a delete.
func TestBrowserAlerts(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	texts := make(chan string, 10)
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		json.NewDecoder(r.Body).Decode(&m)
		texts <- m.Text
	}))
	t.Cleanup(slack.Close)
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	t.Cleanup(dead.Close)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	nav(t, ctx, chromedp.Click(css(`nav a[href="/alerts"]`)))
	do(t, ctx, waitText("main h1", "Alerts"), waitText("main", "No alert channels yet"),
		waitText("main .sub", "at least 50 % of a webhook's attempts failed in the last 15m"))
	b.screenshot(t, ctx, "alerts-empty")

	// No URL: the problem shows next to its field, the choices kept.
	do(t, ctx, chromedp.Click(css(`input[name="kinds"][value="backlog"]`)))
	if code := nav(t, ctx, chromedp.Click(css(`#new-alert button[type="submit"]`))); code != http.StatusUnprocessableEntity {
		t.Errorf("form without a URL: %d, want 422", code)
	}
	do(t, ctx, waitText("#url-error", "is required for a slack channel"))
	if on := run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="kinds"][value="backlog"]').checked`)); !on {
		t.Error("the kinds chosen were not kept")
	}
	b.screenshot(t, ctx, "alerts-error")

	secretURL := slack.URL + "/services/T0000/B0000/XXXXXXXXXXXXwxyz"
	do(t, ctx, chromedp.SetValue(css("#alert-url"), secretURL))
	nav(t, ctx, chromedp.Click(css(`#new-alert button[type="submit"]`)))
	do(t, ctx, waitText(".notice", "Alert channel added."), waitText("#alert-channels", "…wxyz"),
		waitText("#alert-channels", "backlog"))
	if html := run(t, ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(html, secretURL) {
		t.Error("the page shows the Slack URL whole")
	}

	// A dead one too, for one tenant, added over the API.
	if code := h.api(t, "POST", "/api/v1/tenants", map[string]any{"id": "acme", "name": "Acme"}, nil); code != http.StatusCreated {
		t.Fatalf("tenant: %d", code)
	}
	if code := h.api(t, "POST", "/api/v1/alert-channels", map[string]any{"type": "slack", "url": dead.URL + "/hooks/gone",
		"kinds": []string{"webhook.disabled"}, "tenant": "acme"}, nil); code != http.StatusCreated {
		t.Fatalf("dead channel: %d", code)
	}
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(css("#alert-channels")))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#alert-channels tbody tr").length`)); n != 2 {
		t.Fatalf("%d channels listed, want 2", n)
	}
	b.screenshot(t, ctx, "alerts")

	// Send test alert: it arrives, and the page says so.
	nav(t, ctx, chromedp.Click(css(`#alert-channels tbody tr:first-child form[action$="/test"] button`)))
	do(t, ctx, waitText("#alert-test", "Test alert sent"))
	if text := <-texts; !strings.Contains(text, "[Hookline] Test alert") {
		t.Errorf("the receiver got %q", text)
	}
	b.screenshot(t, ctx, "alerts-test-sent")
	axeCheck(t, ctx, axe, "/alerts after a test (light)")

	// To the dead one: the page says what it answered.
	nav(t, ctx, chromedp.Click(css(`#alert-channels tbody tr:nth-child(2) form[action$="/test"] button`)))
	do(t, ctx, waitText("#alert-test", "Test alert not sent"), waitText("#alert-test-error", "404 Not Found"))
	b.screenshot(t, ctx, "alerts-test-failed")
	colorScheme(t, ctx, "dark")
	do(t, ctx, chromedp.Navigate(h.URL+"/alerts"), chromedp.WaitVisible(css("#alert-channels")))
	nav(t, ctx, chromedp.Click(css(`#alert-channels tbody tr:nth-child(2) form[action$="/test"] button`)))
	do(t, ctx, waitText("#alert-test", "Test alert not sent"))
	b.screenshot(t, ctx, "alerts-test-failed-dark")
	axeCheck(t, ctx, axe, "/alerts after a failed test (dark)")
	colorScheme(t, ctx, "light")

	// Delete the dead one.
	nav(t, ctx, chromedp.Click(css(`#alert-channels tbody tr:nth-child(2) form[action$="/delete"] button`)))
	do(t, ctx, waitText(".notice", "Alert channel deleted."))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#alert-channels tbody tr").length`)); n != 1 {
		t.Errorf("%d channels after the delete, want 1", n)
	}
}
