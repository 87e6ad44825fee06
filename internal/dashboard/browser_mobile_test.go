package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// mobileWidth is the viewport of a common phone, in CSS pixels.
const mobileWidth = 390

// TestBrowserMobile loads the main dashboard and portal pages 390 pixels
// wide: the document never scrolls sideways (wide tables scroll inside
// their own box) and the top bar with the navigation stays compact, one
// row of links that scrolls on its own. Screenshots of each page.
func TestBrowserMobile(t *testing.T) {
	chrome := findChromium(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)

	// A receiver that fails with a long answer: the delivery page shows it
	// in its attempt table.
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Very-Long-Header-Name-From-The-Receiver", strings.Repeat("abcdefgh", 20))
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":"`+strings.Repeat("the receiver is unhappy ", 20)+`"}`)
	}))
	t.Cleanup(receiver.Close)
	var hook struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{"name": "Orders to a very long named receiver endpoint",
		"url": receiver.URL + "/webhooks/orders/with/a/rather/long/path/segment/to/see/wrapping", "events": []string{"*"},
		"tenant": "acme"}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	var ev struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme",
		"data": map[string]any{"payment_id": 1, "note": strings.Repeat("long ", 30)}}, &ev); code != http.StatusAccepted {
		t.Fatalf("publish: %d", code)
	}
	var bn struct {
		ID, Token string
	}
	if code := h.api(t, "POST", "/api/v1/bins", map[string]any{"name": "Phone"}, &bn); code != http.StatusCreated {
		t.Fatalf("create bin: %d", code)
	}
	if resp, err := http.Post(h.URL+"/bins/"+bn.Token+"/a/long/path/"+strings.Repeat("x", 80), "text/plain",
		strings.NewReader(strings.Repeat("a long body line ", 40))); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	var link struct {
		URL string `json:"url"`
	}
	if code := h.api(t, "POST", "/api/v1/tenants/acme/portal-sessions", map[string]any{"ttl": "1h"}, &link); code != http.StatusCreated {
		t.Fatalf("portal link: %d", code)
	}

	tab := b.tab(t)
	do(t, tab, chromedp.EmulateViewport(mobileWidth, 844))
	do(t, tab, chromedp.Navigate(h.URL+"/login"), chromedp.WaitVisible(css("#username")))
	mobileCheck(t, b, tab, "/login")
	do(t, tab, chromedp.SetValue(css("#username"), "admin"), chromedp.SetValue(css("#password"), adminPassword))
	nav(t, tab, chromedp.Submit(css("#password")))

	// The delivery: wait for its failed attempt.
	do(t, tab, waitServer("/webhooks/"+hook.ID, "/deliveries/"))
	deliveryID := run(t, tab, chromedp.PollFunction[string](`async (p) => {
		const html = await (await fetch(p, {credentials: 'same-origin'})).text();
		const m = html.match(/\/deliveries\/(dlv_[0-9a-z]+)/);
		return m ? m[1] : null; }`, chromedp.WithPollingArgs("/webhooks/"+hook.ID)))
	do(t, tab, waitServer("/deliveries/"+deliveryID, "500"))

	pages := []string{"/", "/webhooks/" + hook.ID, "/deliveries/" + deliveryID, "/events", "/events/" + ev.ID,
		"/event-types", "/tenants", "/tenants/acme", "/inspector", "/inspector/" + bn.ID, "/overview", "/alerts",
		"/keys", "/audit", "/users", "/account", "/webhooks/new"}
	for _, p := range pages {
		do(t, tab, chromedp.Navigate(h.URL+p), chromedp.WaitVisible(css("main")))
		mobileCheck(t, b, tab, p)
	}

	portal := b.tab(t)
	do(t, portal, chromedp.EmulateViewport(mobileWidth, 844))
	_, query, _ := strings.Cut(link.URL, "/portal/open?")
	do(t, portal, chromedp.Navigate(h.URL+"/portal/open?"+query), chromedp.WaitVisible(css("main h1")))
	for _, p := range []string{"/portal/", "/portal/webhooks/" + hook.ID, "/portal/deliveries/" + deliveryID,
		"/portal/event-types", "/portal/inspector", "/portal/audit"} {
		do(t, portal, chromedp.Navigate(h.URL+p), chromedp.WaitVisible(css("main")))
		mobileCheck(t, b, portal, p)
	}
}

// mobileCheck asserts that the page open in tab fits the narrow viewport
// and that its top bar is compact, and takes a screenshot.
func mobileCheck(t *testing.T, b *browser, tab context.Context, page string) {
	t.Helper()
	fit := run(t, tab, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth,
		(document.querySelector('header.topbar') || {offsetHeight: 0}).offsetHeight]`))
	if fit[0] > fit[1] {
		// The text past the edge that no box of its own scrolls.
		wide := run(t, tab, chromedp.Evaluate[[]string](`(() => {
			const out = [], w = document.documentElement.clientWidth + 1;
			const tw = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
			for (let n = tw.nextNode(); n && out.length < 5; n = tw.nextNode()) {
				const r = document.createRange(); r.selectNodeContents(n);
				if (r.getBoundingClientRect().right <= w) continue;
				let scrolls = false;
				for (let a = n.parentElement; a && a !== document.body; a = a.parentElement) {
					if (getComputedStyle(a).overflowX !== 'visible') { scrolls = true; break; }
				}
				if (!scrolls) out.push(n.parentElement.tagName.toLowerCase() + '.' + String(n.parentElement.className) + ': ' + n.textContent.trim().slice(0, 40));
			}
			return out; })()`))
		t.Errorf("%s: the document is %d px wide in a %d px viewport; too wide: %v", page, fit[0], fit[1], wide)
	}
	// The top bar: the brand and account on one row, the navigation on
	// one scrolling row below.
	if fit[2] > 110 {
		t.Errorf("%s: the top bar is %d px high, want one row of navigation (at most 110 px)", page, fit[2])
	}
	// Named by the path without its ids, so reruns overwrite them.
	var parts []string
	for _, seg := range strings.Split(page, "/") {
		if seg != "" && !strings.Contains(seg, "_01") && seg != "acme" {
			parts = append(parts, seg)
		} else if seg != "" {
			parts = append(parts, "one")
		}
	}
	if len(parts) == 0 || (len(parts) == 1 && parts[0] == "portal") {
		parts = append(parts, "home")
	}
	b.screenshot(t, tab, "mobile-"+strings.Join(parts, "-"))
}
