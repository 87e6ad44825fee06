package dashboard_test

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/internal/config"
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

// TestBrowserPortalEmbedded is the customer portal as a tenant uses it:
// inside an iframe on the operator's application, served from another
// site (the host page on http://localhost:P, Hookline on
// http://127.0.0.1:Q). The tenant adds a webhook to a request-inspector
// bin, sends a test event, sees the event it publishes arrive with its
// attempts, and rotates the secret. A read-only session offers no form
// and its forged post is refused; a used link opens nothing.
func TestBrowserPortalEmbedded(t *testing.T) {
	chrome := findChromium(t)
	var frameSrc atomic.Value
	frameSrc.Store("about:blank")
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Acme app settings</title>
<h1>Acme app: webhooks</h1>
<iframe id="portal" title="Webhooks" src="%s" width="1280" height="1400" style="border:1px solid #ccc"></iframe>`,
			html.EscapeString(frameSrc.Load().(string)))
	}))
	t.Cleanup(host.Close)
	_, port, _ := net.SplitHostPort(host.Listener.Addr().String())
	hostOrigin := "http://localhost:" + port
	h := startHookline(t, func(c *config.Config) {
		c.PortalAllowedOrigins = []string{hostOrigin}
		c.PortalBrand.Accent = "#0a7d5a"
	})
	b := startBrowser(t, chrome)
	ctx := b.ctx

	if code := h.api(t, "POST", "/api/v1/tenants", map[string]any{"id": "acme", "name": "Acme Inc.",
		"branding": map[string]any{"name": "Acme Cloud"}}, nil); code != http.StatusCreated {
		t.Fatalf("create tenant: %d", code)
	}
	var bin struct {
		URL string `json:"url"`
	}
	if code := h.api(t, "POST", "/api/v1/bins", map[string]any{"name": "Acme's endpoint"}, &bin); code != http.StatusCreated {
		t.Fatalf("create bin: %d", code)
	}
	mint := func(body map[string]any) string {
		t.Helper()
		var link struct {
			URL string `json:"url"`
		}
		if code := h.api(t, "POST", "/api/v1/tenants/acme/portal-sessions", body, &link); code != http.StatusCreated {
			t.Fatalf("mint portal link: %d", code)
		}
		_, query, _ := strings.Cut(link.URL, "/portal/open?")
		return h.URL + "/portal/open?" + query
	}
	open := mint(map[string]any{"ttl": "1h", "return_url": hostOrigin + "/settings"})
	frameSrc.Store(open)

	var frame context.Context
	var webhookID string
	outer := t // the frame's session lasts for the whole test
	step(t, "the portal opens in the operator's iframe", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(hostOrigin+"/settings"), chromedp.WaitVisible(css("#portal")))
		frame = portalFrame(outer, ctx, h.URL+"/portal/")
		do(t, frame, waitText("main h1", "Your webhooks"))
		text := run(t, frame, chromedp.Text(css("body")))
		for _, want := range []string{"Acme Cloud", "No webhooks yet", "Event catalog", "Back to the application"} {
			if !strings.Contains(text, want) {
				t.Errorf("embedded portal lacks %q", want)
			}
		}
		b.screenshot(t, ctx, "portal-embedded")
	})

	step(t, "add a webhook to a bin and send a test event", func(t *testing.T) {
		nav(t, frame, chromedp.Click(css(`.actions a[href="/portal/webhooks/new"]`)))
		do(t, frame,
			chromedp.SetValue(css("#name"), "Acme orders"),
			chromedp.SetValue(css("#url"), bin.URL),
			chromedp.Evaluate[chromedp.Void](`(() => {
				const picker = document.getElementById('events');
				for (const o of picker.querySelectorAll('input[type=checkbox]')) o.checked = o.value === 'payment_received';
				picker.dispatchEvent(new Event('change', {bubbles: true}));
			})()`),
			chromedp.WaitVisible(css("#ex-payment_received")),
		)
		b.screenshot(t, ctx, "portal-new-webhook")
		nav(t, frame, chromedp.Submit(css("#name")))
		do(t, frame, waitText(".notice", "Webhook created."))
		loc := run(t, frame, chromedp.Location())
		webhookID = strings.TrimSuffix(strings.TrimPrefix(loc, h.URL+"/portal/webhooks/"), "?notice=created")
		if !strings.HasPrefix(webhookID, "wh_") {
			t.Fatalf("after create: %s", loc)
		}
		do(t, frame, chromedp.Click(css("#send-test")), waitText("#result-dialog", "Test event delivered"))
		text := run(t, frame, chromedp.Text(css("#result-dialog")))
		for _, want := range []string{"HTTP 200", "Webhook-Signature", "v1,"} {
			if !strings.Contains(text, want) {
				t.Errorf("test dialog lacks %q:\n%s", want, text)
			}
		}
		b.screenshot(t, ctx, "portal-send-test")
		// Closing the dialog would reload the page to show the test in its
		// log (TestBrowser checks that); here the next step loads the page
		// itself, so the frame stays where it is.
		do(t, frame, chromedp.Evaluate[chromedp.Void](`(() => { const d = document.getElementById('result-dialog');
			d.removeAttribute('data-refresh'); d.close(); })()`))
	})

	step(t, "a published event and its attempts", func(t *testing.T) {
		var ev struct {
			ID string `json:"id"`
		}
		if code := h.api(t, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme",
			"data": map[string]any{"payment_id": 42}}, &ev); code != http.StatusAccepted {
			t.Fatalf("publish: %d", code)
		}
		var evd struct {
			Deliveries []struct {
				ID string `json:"id"`
			} `json:"deliveries"`
		}
		if code := h.api(t, "GET", "/api/v1/events/"+ev.ID, nil, &evd); code != http.StatusOK || len(evd.Deliveries) != 1 {
			t.Fatalf("event: %d, %d deliveries", code, len(evd.Deliveries))
		}
		// The attempt is made after the delivery row exists: wait until it
		// has succeeded, or the log may be rendered without it (seen on a
		// loaded machine).
		do(t, frame, waitServer("/portal/deliveries/"+evd.Deliveries[0].ID, ">Succeeded<"),
			chromedp.Navigate(h.URL+"/portal/webhooks/"+webhookID),
			chromedp.Click(css("#delivery-log details.row summary")),
			chromedp.WaitVisible(css("#delivery-log details.row .attempt")))
		text := run(t, frame, chromedp.Text(css("#delivery-log")))
		for _, want := range []string{"payment_received", "Succeeded", "Attempt 1", "Request headers", "Response body"} {
			if !strings.Contains(text, want) {
				t.Errorf("delivery log lacks %q", want)
			}
		}
		b.screenshot(t, ctx, "portal-delivery-log")
	})

	step(t, "rotate the secret", func(t *testing.T) {
		do(t, frame, chromedp.Click(css("#reveal-secret")), chromedp.WaitVisible(css("#secret-0")))
		old := run(t, frame, chromedp.Text(css("#secret-0")))
		do(t, frame,
			chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
			chromedp.Click(css("#rotate-secret")),
			waitText("#secret-box", "New secret created"),
		)
		if current, previous := run(t, frame, chromedp.Text(css("#secret-0"))), run(t, frame, chromedp.Text(css("#secret-1"))); current == old || previous != old {
			t.Errorf("after rotation: current %q previous %q, old %q", current, previous, old)
		}
	})

	step(t, "a read-only session offers no form and is refused a forged post", func(t *testing.T) {
		tab := b.tab(t)
		do(t, tab, chromedp.Navigate(mint(map[string]any{"read_only": true})), waitText("main h1", "Your webhooks"))
		for _, path := range []string{"/portal/", "/portal/webhooks/" + webhookID} {
			do(t, tab, chromedp.Navigate(h.URL+path), chromedp.WaitVisible(css("main h1")))
			if n := run(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('main form[method=post]').length`)); n != 0 {
				t.Errorf("%s: a read-only session is offered %d forms", path, n)
			}
		}
		b.screenshot(t, tab, "portal-read-only")
		status := run(t, tab, chromedp.Evaluate[int](`(async () => (await fetch('/portal/webhooks/`+webhookID+`/toggle', {
			method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'active=false'})).status)()`,
			chromedp.EvalAwaitPromise))
		if status != http.StatusForbidden {
			t.Errorf("forged post from a read-only session: %d", status)
		}
	})

	step(t, "a used link opens nothing", func(t *testing.T) {
		tab := b.tab(t)
		do(t, tab, chromedp.Navigate(open), waitText("main h1", "This link cannot be opened"))
		if text := run(t, tab, chromedp.Text(css("main"))); !strings.Contains(text, "used already") {
			t.Errorf("reused link page: %s", text)
		}
	})
}

// portalFrame attaches to the portal's iframe, which runs out of process
// (another site), once it shows a page under prefix.
func portalFrame(t *testing.T, ctx context.Context, prefix string) context.Context {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range targets {
			if ti.Type == "iframe" && strings.HasPrefix(ti.URL, prefix) {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID))
				t.Cleanup(cancel)
				if err := chromedp.Do(fctx); err != nil {
					t.Fatal(err)
				}
				return fctx
			}
		}
		time.Sleep(50 * time.Millisecond) // polling the browser's target list: no event to await here
	}
	t.Fatal("the portal's iframe did not load")
	return nil
}
