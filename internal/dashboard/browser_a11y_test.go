package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, installed by npm into testdata/a11y (CI runs npm
// ci there; outside CI the test installs it or skips without npm).
func axeSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "a11y")
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	if _, err := os.Stat(file); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("axe-core is not installed and npm is missing (required when CI=true)")
			}
			t.Skip("axe-core is not installed and npm is missing")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// axeViolation is what axe reports of one rule a page breaks.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeCheck runs axe-core (WCAG 2.x A and AA rules) on the page open in
// tab and reports each violation as an error about page.
func axeCheck(t *testing.T, tab context.Context, axe, page string) {
	t.Helper()
	do(t, tab, chromedp.Evaluate[chromedp.Void](axe),
		chromedp.Evaluate[chromedp.Void](`window.__axe = null; axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
			.then(r => { window.__axe = JSON.stringify(r.violations); })`),
		chromedp.Poll[chromedp.Void](`window.__axe !== null`, chromedp.WithPollingTimeout(30*time.Second)))
	raw := run(t, tab, chromedp.Evaluate[string](`window.__axe`))
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		var where []string
		for i, n := range v.Nodes {
			if i == 3 {
				where = append(where, fmt.Sprintf("… %d more", len(v.Nodes)-3))
				break
			}
			where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
		}
		t.Errorf("%s: %s [%s]: %s\n    %s", page, v.ID, v.Impact, v.Help, strings.Join(where, "\n    "))
	}
}

// TestBrowserAccessibility runs axe-core (WCAG 2.x A and AA rules) on the
// dashboard's and the customer portal's main pages, in light and dark
// mode: no violation.
func TestBrowserAccessibility(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	var hook struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{"name": "Billing", "url": "https://billing.example.com/hooks",
		"events": []string{"payment_received"}, "tenant": "acme"}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	var ev struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme",
		"data": map[string]any{"payment_id": 1}}, &ev); code != http.StatusAccepted {
		t.Fatalf("publish: %d", code)
	}
	var link struct {
		URL string `json:"url"`
	}
	if code := h.api(t, "POST", "/api/v1/tenants/acme/portal-sessions", map[string]any{"ttl": "1h"}, &link); code != http.StatusCreated {
		t.Fatalf("portal link: %d", code)
	}

	if code := h.api(t, "POST", "/api/v1/alert-channels", map[string]any{"type": "slack",
		"url": "https://chat.example.com/hooks/T0000/XXXXXXXXXXXX", "kinds": []string{"webhook.failing", "backlog"}}, nil); code != http.StatusCreated {
		t.Fatalf("alert channel: %d", code)
	}
	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	pages := []string{"/login", "/", "/webhooks/new", "/webhooks/" + hook.ID, "/events", "/events/" + ev.ID,
		"/event-types", "/event-types/payment_received", "/tenants", "/tenants/acme", "/inspector", "/overview", "/alerts", "/keys", "/audit", "/verify", "/users", "/account"}
	portal := b.tab(t)
	_, query, _ := strings.Cut(link.URL, "/portal/open?")
	do(t, portal, chromedp.Navigate(h.URL+"/portal/open?"+query), chromedp.WaitVisible(css("main h1")))
	portalPages := []string{"/portal/", "/portal/webhooks/new", "/portal/webhooks/" + hook.ID, "/portal/event-types",
		"/portal/verify", "/portal/audit", "/portal/inspector"}

	check := func(tab context.Context, path, scheme string) {
		t.Helper()
		colorScheme(t, tab, scheme)
		do(t, tab, chromedp.Navigate(h.URL+path), chromedp.WaitVisible(css("main")))
		if path == "/event-types/payment_received" {
			b.screenshot(t, tab, "event-type-edit-"+scheme)
		}
		axeCheck(t, tab, axe, path+" ("+scheme+")")
	}
	for _, scheme := range []string{"light", "dark"} {
		for _, p := range pages {
			check(ctx, p, scheme)
		}
		for _, p := range portalPages {
			check(portal, p, scheme)
		}
	}
}

// axePage loads base+path in tab in the color scheme and runs axeCheck.
func axePage(t *testing.T, tab context.Context, axe, base, path, scheme string) {
	t.Helper()
	colorScheme(t, tab, scheme)
	do(t, tab, chromedp.Navigate(base+path), chromedp.WaitVisible(css("main")))
	axeCheck(t, tab, axe, path+" ("+scheme+")")
}
