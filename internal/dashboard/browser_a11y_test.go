package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/internal/auth"
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
// dashboard's and the customer portal's pages, in light and dark mode: no
// violation. By default (and in CI) the main pages; with HOOKLINE_LONG=1
// every page a route serves (confirmations, a delivery, a captured
// request and its raw view, the invitation and password pages, the error
// page, a sign-in that failed, a form with its errors).
func TestBrowserAccessibility(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx
	long := os.Getenv("HOOKLINE_LONG") == "1"

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"maintenance"}`)
	}))
	t.Cleanup(receiver.Close)
	var hook struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{"name": "Billing", "url": receiver.URL + "/hooks",
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
	var bn struct{ ID, Token string }
	if code := h.api(t, "POST", "/api/v1/bins", map[string]any{"name": "Accessible"}, &bn); code != http.StatusCreated {
		t.Fatalf("create bin: %d", code)
	}
	if code := h.api(t, "PUT", "/api/v1/bins/"+bn.ID+"/response", map[string]any{"status": 503, "body": "down",
		"headers": map[string]string{"Retry-After": "5"}}, nil); code != http.StatusOK {
		t.Fatalf("bin response: %d", code)
	}
	resp, err := http.Post(h.URL+"/bins/"+bn.Token+"/orders", "application/json", strings.NewReader(`{"order":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var reqs struct {
		Data []struct{ ID string } `json:"data"`
	}
	if code := h.api(t, "GET", "/api/v1/bins/"+bn.ID+"/requests", nil, &reqs); code != http.StatusOK || len(reqs.Data) != 1 {
		t.Fatalf("bin requests: %d %v", code, reqs)
	}
	reqPath := "/inspector/" + bn.ID + "/requests/" + reqs.Data[0].ID
	var key struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/keys", map[string]any{"name": "ci", "scopes": []string{"publish"}}, &key); code != http.StatusCreated {
		t.Fatalf("create key: %d", code)
	}
	_, ownerKey, err := auth.Create(context.Background(), h.Store, auth.CreateParams{Name: "owner", Scopes: []string{auth.ScopeOwner}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	owner := *h
	owner.Key = ownerKey
	if code := owner.api(t, "POST", "/api/v1/users", map[string]any{"username": "grace", "role": "viewer"}, nil); code != http.StatusCreated {
		t.Fatalf("create user: %d", code)
	}

	check := func(tab context.Context, path, scheme string) {
		t.Helper()
		colorScheme(t, tab, scheme)
		do(t, tab, chromedp.Navigate(h.URL+path), chromedp.WaitVisible(css("main")))
		if path == "/event-types/payment_received" {
			b.screenshot(t, tab, "event-type-edit-"+scheme)
		}
		axeCheck(t, tab, axe, path+" ("+scheme+")")
	}
	// Signed out: the sign-in page, and one that failed.
	for _, scheme := range []string{"light", "dark"} {
		check(ctx, "/login", scheme)
		if long {
			do(t, ctx, chromedp.SetValue(css("#username"), "nobody"), chromedp.SetValue(css("#password"), "wrong"))
			nav(t, ctx, chromedp.Submit(css("#password")))
			do(t, ctx, chromedp.WaitVisible(css("#login-error")))
			axeCheck(t, ctx, axe, "/login failed ("+scheme+")")
		}
	}
	colorScheme(t, ctx, "light")
	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	do(t, ctx, waitServer("/webhooks/"+hook.ID, "/deliveries/"))
	deliveryID := run(t, ctx, chromedp.PollFunction[string](`async (p) => {
		const html = await (await fetch(p, {credentials: 'same-origin'})).text();
		const m = html.match(/\/deliveries\/(dlv_[0-9a-z]+)/);
		return m ? m[1] : null; }`, chromedp.WithPollingArgs("/webhooks/"+hook.ID)))
	do(t, ctx, waitServer("/deliveries/"+deliveryID, "503"))

	pages := []string{"/", "/webhooks/new", "/webhooks/" + hook.ID, "/deliveries/" + deliveryID, "/events", "/events/" + ev.ID,
		"/event-types", "/event-types/payment_received", "/tenants", "/tenants/acme", "/inspector", "/inspector/" + bn.ID,
		"/overview", "/alerts", "/keys", "/audit", "/verify", "/users", "/account"}
	if long {
		pages = append(pages, "/webhooks/"+hook.ID+"/delete", "/tenants/acme/delete", "/keys/"+key.ID+"/revoke",
			"/users/grace/password", "/users/grace/delete", reqPath, reqPath+"/raw",
			"/inspector/"+bn.ID+"?method=POST&header=Content-Type", "/webhooks/wh_doesnotexist00000000000")
	}
	portal := b.tab(t)
	_, query, _ := strings.Cut(link.URL, "/portal/open?")
	do(t, portal, chromedp.Navigate(h.URL+"/portal/open?"+query), chromedp.WaitVisible(css("main h1")))
	portalPages := []string{"/portal/", "/portal/webhooks/new", "/portal/webhooks/" + hook.ID, "/portal/deliveries/" + deliveryID,
		"/portal/event-types", "/portal/verify", "/portal/audit", "/portal/inspector"}
	if long {
		portalPages = append(portalPages, "/portal/events/"+ev.ID, "/portal/webhooks/"+hook.ID+"/delete")
	}

	for _, scheme := range []string{"light", "dark"} {
		for _, p := range pages {
			check(ctx, p, scheme)
		}
		for _, p := range portalPages {
			check(portal, p, scheme)
		}
		if long {
			// An invitation: the page that shows its link, and the link.
			colorScheme(t, ctx, scheme)
			do(t, ctx, chromedp.Navigate(h.URL+"/users"), chromedp.Click(css(`input[name=role][value=viewer]`)),
				chromedp.SetValue(css("#invite-note"), "ada@example.com"))
			nav(t, ctx, chromedp.Submit(css("#invite-note")))
			do(t, ctx, chromedp.WaitVisible(css("#invite-link")))
			axeCheck(t, ctx, axe, "invitation created ("+scheme+")")
			invite := strings.TrimPrefix(run(t, ctx, chromedp.Text(css("#invite-link"))), publicURL)
			signedOut := b.tab(t)
			check(signedOut, invite, scheme)
			// A form sent with errors shows them beside the fields.
			colorScheme(t, ctx, scheme)
			do(t, ctx, chromedp.Navigate(h.URL+"/webhooks/new"), chromedp.SetValue(css("#url"), "not a url"))
			nav(t, ctx, chromedp.Submit(css("#url")))
			do(t, ctx, chromedp.WaitVisible(css(".error")))
			axeCheck(t, ctx, axe, "/webhooks/new with errors ("+scheme+")")
			do(t, ctx, chromedp.Navigate(h.URL+"/inspector/"+bn.ID), chromedp.SetValue(css("#resp-status"), "42"))
			nav(t, ctx, chromedp.Click(css("#save-response")))
			do(t, ctx, chromedp.WaitVisible(css("#resp-status-error")))
			axeCheck(t, ctx, axe, "/inspector/{id} response with errors ("+scheme+")")
		}
	}
	t.Logf("axe-core: %d dashboard and %d portal pages, light and dark", len(pages), len(portalPages))
}

// axePage loads base+path in tab in the color scheme and runs axeCheck.
func axePage(t *testing.T, tab context.Context, axe, base, path, scheme string) {
	t.Helper()
	colorScheme(t, tab, scheme)
	do(t, tab, chromedp.Navigate(base+path), chromedp.WaitVisible(css("main")))
	axeCheck(t, tab, axe, path+" ("+scheme+")")
}
