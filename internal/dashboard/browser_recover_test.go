package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/internal/config"
)

// TestBrowserRecover: a receiver rejects three events until they finally
// fail; the delivery log's filter form finds them (and says when nothing
// matches), the recover card counts them, the confirmation re-queues
// them and the receiver, now up, gets each once. axe checks the filtered
// log and the count; screenshots in light and dark.
func TestBrowserRecover(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	h := startHookline(t, func(c *config.Config) { c.RetrySchedule = []time.Duration{time.Millisecond} })
	var up atomic.Bool
	delivered := make(chan string, 100)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if !up.Load() {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		delivered <- r.Header.Get("webhook-id")
	}))
	t.Cleanup(recv.Close)
	var hook struct {
		ID string `json:"id"`
	}
	if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{"name": "Ledger", "url": recv.URL,
		"events": []string{"payment_received", "payment_failed"}}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	for i := range 3 {
		if code := h.api(t, "POST", "/api/v1/events", map[string]any{"type": "payment_received",
			"data": map[string]any{"payment_id": i}}, nil); code != http.StatusAccepted {
			t.Fatalf("publish: %d", code)
		}
	}
	b := startBrowser(t, chrome)
	ctx := b.ctx
	page := h.URL + "/webhooks/" + hook.ID
	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	// Every delivery has ended (failed) once none is pending.
	do(t, ctx, chromedp.Navigate(page), waitServer("/webhooks/"+hook.ID+"?status=pending", "No deliveries match these filters."))

	step(t, "filter", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(css("#delivery-filter")),
			chromedp.SetValue(css("#f-status"), "failed"), chromedp.SetValue(css("#f-event"), "payment_received"))
		if code := nav(t, ctx, chromedp.Click(css("#filter-deliveries"))); code != http.StatusOK {
			t.Fatalf("filter: %d", code)
		}
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#delivery-log details.row').length`)); n != 3 {
			t.Fatalf("%d rows of failed payments, want 3", n)
		}
		if loc := run(t, ctx, chromedp.Evaluate[string](`location.search`)); !strings.Contains(loc, "status=failed") {
			t.Errorf("the filters are not in the URL: %q", loc)
		}
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			do(t, ctx, chromedp.ScrollIntoView(css("#deliveries")))
			b.screenshot(t, ctx, "delivery-log-filtered-"+scheme)
			axeCheck(t, ctx, axe, "filtered delivery log ("+scheme+")")
		}
		colorScheme(t, ctx, "light")
		do(t, ctx, chromedp.SetValue(css("#f-status"), ""), chromedp.SetValue(css("#f-event"), "payment_failed"))
		nav(t, ctx, chromedp.Click(css("#filter-deliveries")))
		do(t, ctx, waitText("#no-deliveries", "No deliveries match these filters."))
		// A browser's date input holds only dates; a hand-made link may
		// hold anything, and the server's own check answers it.
		nav(t, ctx, chromedp.Navigate(page+"?since=last+week#deliveries"))
		do(t, ctx, waitText("#f-since-error", "Enter a date and time"))
		b.screenshot(t, ctx, "delivery-log-filter-error")
	})

	step(t, "recover", func(t *testing.T) {
		up.Store(true)
		do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(css("#recover")))
		if v := run(t, ctx, chromedp.Value(css("#rsince"))); v == "" {
			t.Error("the window's start is not filled in")
		}
		nav(t, ctx, chromedp.Click(css("#recover-count")))
		do(t, ctx, waitText("#recover-confirm", "Re-queue 3 deliveries"))
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			do(t, ctx, chromedp.ScrollIntoView(css("#recover")))
			b.screenshot(t, ctx, "recover-count-"+scheme)
			axeCheck(t, ctx, axe, "recover count ("+scheme+")")
		}
		colorScheme(t, ctx, "light")
		if code := nav(t, ctx, chromedp.Click(css("#recover-confirm"))); code != http.StatusOK {
			t.Fatalf("confirm: %d", code)
		}
		do(t, ctx, waitText("#recover .notice", "Re-queued 3 failed deliveries"))
		do(t, ctx, chromedp.ScrollIntoView(css("#recover")))
		b.screenshot(t, ctx, "recover-done")
		seen := map[string]int{}
		for range 3 {
			select {
			case id := <-delivered:
				seen[id]++
			case <-time.After(30 * time.Second):
				t.Fatalf("the receiver got %d recovered deliveries, want 3", len(seen))
			}
		}
		if len(seen) != 3 {
			t.Errorf("recovered deliveries by event: %v, want 3 events once each", seen)
		}
		do(t, ctx, waitServer("/webhooks/"+hook.ID+"?status=failed", "No deliveries match these filters."))
	})
}
