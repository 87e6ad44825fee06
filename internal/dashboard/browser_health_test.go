package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// healthHook is a webhook of the health test and how its past goes.
type healthHook struct {
	name, url string
	// fate says, for the delivery made at start, how many attempts
	// failed before the last, whether the last succeeded, and how long
	// each took.
	fate func(start time.Time, i int) (fails int, ok bool, ms float64)
	id   string
}

// seedHealth gives each webhook a week of deliveries, one event every two
// hours, each delivery attempted as its fate says, written through the
// store with past start times (the API has no way to make the past).
func seedHealth(t *testing.T, st store.Store, now time.Time, hooks []*healthHook) {
	t.Helper()
	ctx := context.Background()
	for i := range 84 {
		start := now.Add(-time.Duration(i)*2*time.Hour - 17*time.Minute)
		res, err := st.EventCreate(ctx, store.EventCreateParams{
			Event: webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: "acme", Type: "payment_received",
				Data: json.RawMessage(`{"payment_id":1}`), CreatedAt: now},
			IdempotencySince: now,
			// Leased far ahead to nobody running: the dispatcher leaves them.
			Lease: &store.LeaseRequest{Lease: store.NewLease("seed", now, 24*time.Hour)},
		})
		if err != nil {
			t.Fatal(err)
		}
		var results []store.AttemptResult
		for _, d := range res.Deliveries {
			var h *healthHook
			for _, x := range hooks {
				if x.id == d.WebhookID {
					h = x
				}
			}
			fails, ok, ms := h.fate(start, i)
			for n := 1; n <= fails+1; n++ {
				a := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: d.WebhookID,
					EventID: d.EventID, EventType: d.EventType, Number: n, StartedAt: start.Add(time.Duration(n-1) * time.Minute),
					DurationMS: ms * float64(n), URL: h.url, StatusCode: 200, Destination: webhook.DestinationHTTP}
				r := store.AttemptResult{Attempt: a, Outcome: store.OutcomeSucceeded}
				switch {
				case n <= fails:
					r.Attempt.StatusCode, r.Attempt.ErrorClass = 503, webhook.ErrClassHTTPStatus
					r.Outcome, r.NextAttemptAt = store.OutcomeRetry, now.Add(24*time.Hour)
				case !ok:
					r.Attempt.StatusCode, r.Attempt.ErrorClass = 0, webhook.ErrClassTimeout
					r.Outcome = store.OutcomeFailed
				}
				r.Attempt.Outcome = store.OutcomeName(r.Outcome, "")
				results = append(results, r)
			}
		}
		if err := st.AttemptRecord(ctx, results); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserHealth: the webhook page charts its health, the window
// picker works without JavaScript, the webhooks list shows each one's
// 24 h success rate and sparkline, the overview puts the worst endpoint
// first, and the portal shows the same; axe-core finds no violation in
// light or dark mode. Screenshots of each go to test-output/screenshots.
func TestBrowserHealth(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	hooks := []*healthHook{
		{name: "Billing", url: "https://billing.example.com/hooks", fate: func(start time.Time, i int) (int, bool, float64) {
			switch {
			case i >= 20 && i < 26: // a bad spell two days ago: timeouts, retries, slow
				return 2, i%2 == 0, 2400 + float64(i*37%500)
			case i%5 == 0:
				return 1, true, 140
			}
			return 0, true, 60 + float64(i*29%90)
		}},
		{name: "Search sync", url: "https://search.example.com/in", fate: func(start time.Time, i int) (int, bool, float64) {
			return 2, i%3 == 0, 900 + float64(i*53%700)
		}},
		{name: "CRM", url: "https://crm.example.com/webhooks", fate: func(time.Time, int) (int, bool, float64) { return 0, true, 35 }},
	}
	for _, hk := range hooks {
		var got struct {
			ID string `json:"id"`
		}
		if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{"name": hk.name, "url": hk.url,
			"events": []string{"payment_received"}, "tenant": "acme"}, &got); code != http.StatusCreated {
			t.Fatalf("create webhook: %d", code)
		}
		hk.id = got.ID
	}
	seedHealth(t, h.Store, time.Now().UTC(), hooks)
	billing := hooks[0]

	// What the API says the picture must show.
	apiStats := func(id, query string) (buckets int, rate *float64) {
		t.Helper()
		var s struct {
			Buckets []struct {
				Delivered      int64 `json:"delivered"`
				Failed         int64 `json:"failed"`
				FailedAttempts int64 `json:"failed_attempts"`
			} `json:"buckets"`
			SuccessRate *float64 `json:"success_rate"`
		}
		if code := h.api(t, "GET", "/api/v1/webhooks/"+id+"/stats?"+query, nil, &s); code != http.StatusOK {
			t.Fatalf("stats: %d", code)
		}
		for _, b := range s.Buckets {
			if b.Delivered+b.Failed+b.FailedAttempts > 0 {
				buckets++
			}
		}
		return buckets, s.SuccessRate
	}

	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	page := h.URL + "/webhooks/" + billing.id

	step(t, "the chart renders", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(css("#health svg.health-chart")))
		bars := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#health svg.health-chart g').length`))
		want, _ := apiStats(billing.id, "since=24h&bucket=15m")
		if bars != want || want == 0 {
			t.Errorf("24 h chart: %d bars, the API has %d buckets with deliveries", bars, want)
		}
		if run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#health path.line-p95').length`)) != 1 {
			t.Error("no p95 latency line")
		}
		if got := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#health .picker [aria-current=page]').textContent`)); got != "24 h" {
			t.Errorf("the picker marks %q, want 24 h", got)
		}
		// The text alternative: a title and description, and a table.
		desc := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#health-chart-desc').textContent`))
		if !strings.Contains(desc, "15m buckets") || !strings.Contains(desc, "delivered") {
			t.Errorf("chart description %q", desc)
		}
		rows := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#health details tbody tr').length`))
		if rows != want {
			t.Errorf("the table has %d rows, want %d", rows, want)
		}
	})

	step(t, "the window picker works without JavaScript", func(t *testing.T) {
		plain := b.tab(t)
		if _, err := chromedp.Call(plain, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		do(t, plain, chromedp.Navigate(page), chromedp.WaitVisible(css("#health .picker")))
		for _, w := range []struct{ label, key, query, long string }{
			{"7 d", "7d", "since=7d&bucket=2h", "the last 7 days"},
			{"30 d", "30d", "since=30d&bucket=6h", "the last 30 days"},
			{"1 h", "1h", "since=1h&bucket=1m", "the last hour"},
		} {
			if status := nav(t, plain, chromedp.Click(css(fmt.Sprintf(`#health .picker a[href*="window=%s"]`, w.key)))); status != http.StatusOK {
				t.Fatalf("%s: status %d", w.label, status)
			}
			loc := run(t, plain, chromedp.Location())
			cur := run(t, plain, chromedp.Text(css("#health .picker [aria-current=page]")))
			desc := run(t, plain, chromedp.TextContent(css("#health-chart-desc")))
			bars := len(run(t, plain, chromedp.Nodes(chromedp.CSSAll("#health svg.health-chart g"), chromedp.AtLeast(0))))
			want, _ := apiStats(billing.id, w.query)
			if !strings.Contains(loc, "window="+w.key) || cur != w.label || bars != want {
				t.Errorf("%s: at %s, picker marks %q, %d bars (API: %d buckets with deliveries), description %q",
					w.label, loc, cur, bars, want, desc)
			}
			title := run(t, plain, chromedp.TextContent(css("#health-chart-title")))
			if !strings.Contains(title, w.long) {
				t.Errorf("%s: chart title %q, want %q", w.label, title, w.long)
			}
		}
	})

	step(t, "screenshots of the webhook page", func(t *testing.T) {
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			do(t, ctx, chromedp.Navigate(page+"?window=7d"), chromedp.WaitVisible(css("#health svg.health-chart")))
			b.screenshot(t, ctx, "health-webhook-7d-"+scheme)
		}
		colorScheme(t, ctx, "light")
	})

	step(t, "the webhooks list shows each 24 h success rate and a sparkline", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+"/"), chromedp.WaitVisible(css("#webhooks")))
		for _, hk := range hooks {
			_, r := apiStats(hk.id, "since=24h&bucket=1h")
			want := "No deliveries"
			if r != nil {
				want = fmt.Sprintf("%.1f %%", math.Floor(*r*1000)/10)
			}
			got := run(t, ctx, chromedp.TextContent(css(`tr[data-webhook="`+hk.id+`"] .spark`)))
			if !strings.Contains(got, want) {
				t.Errorf("%s: the list shows %q, want %q", hk.name, got, want)
			}
			if r != nil && len(run(t, ctx, chromedp.Nodes(chromedp.CSSAll(`tr[data-webhook="`+hk.id+`"] svg.sparkline rect`), chromedp.AtLeast(0)))) == 0 {
				t.Errorf("%s: an empty sparkline", hk.name)
			}
		}
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			do(t, ctx, chromedp.Navigate(h.URL+"/"), chromedp.WaitVisible(css("#webhooks")))
			b.screenshot(t, ctx, "health-webhooks-"+scheme)
		}
		colorScheme(t, ctx, "light")
	})

	step(t, "the overview puts the worst endpoint first", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+"/overview"), chromedp.WaitVisible(css(".worst table")))
		first := run(t, ctx, chromedp.TextContent(css(".worst tbody tr:first-child td:first-child a")))
		if first != "Search sync" {
			t.Errorf("the worst endpoint shown first is %q, want Search sync", first)
		}
		if strings.Contains(run(t, ctx, chromedp.TextContent(css(".worst tbody"))), "CRM") {
			t.Error("CRM, which never failed, is among the worst endpoints")
		}
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			do(t, ctx, chromedp.Navigate(h.URL+"/overview"), chromedp.WaitVisible(css(".worst table")))
			b.screenshot(t, ctx, "health-overview-"+scheme)
		}
		colorScheme(t, ctx, "light")
	})

	var link struct {
		URL string `json:"url"`
	}
	if code := h.api(t, "POST", "/api/v1/tenants/acme/portal-sessions", map[string]any{"ttl": "1h"}, &link); code != http.StatusCreated {
		t.Fatalf("portal link: %d", code)
	}
	portal := b.tab(t)
	_, query, _ := strings.Cut(link.URL, "/portal/open?")
	do(t, portal, chromedp.Navigate(h.URL+"/portal/open?"+query), chromedp.WaitVisible(css("main h1")))

	step(t, "the portal shows the same", func(t *testing.T) {
		do(t, portal, chromedp.Navigate(h.URL+"/portal/"), chromedp.WaitVisible(css(`tr[data-webhook="`+billing.id+`"] svg.sparkline`)))
		do(t, portal, chromedp.Navigate(h.URL+"/portal/webhooks/"+billing.id+"?window=7d"), chromedp.WaitVisible(css("#health svg.health-chart")))
		href := run(t, portal, chromedp.AttributeValue(css(`#health .picker a[href*="window=30d"]`), "href")).Value
		if !strings.Contains(href, "/portal/webhooks/"+billing.id) {
			t.Errorf("the portal's picker leads to %q, want the portal's page", href)
		}
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, portal, scheme)
			do(t, portal, chromedp.Navigate(h.URL+"/portal/webhooks/"+billing.id+"?window=7d"), chromedp.WaitVisible(css("#health svg.health-chart")))
			b.screenshot(t, portal, "health-portal-webhook-"+scheme)
		}
	})

	step(t, "axe finds no violation", func(t *testing.T) {
		for _, scheme := range []string{"light", "dark"} {
			for _, p := range []string{"/webhooks/" + billing.id + "?window=7d", "/webhooks/" + billing.id + "?window=1h", "/", "/overview"} {
				axePage(t, ctx, axe, h.URL, p, scheme)
			}
			for _, p := range []string{"/portal/", "/portal/webhooks/" + billing.id + "?window=30d"} {
				axePage(t, portal, axe, h.URL, p, scheme)
			}
		}
	})
}
