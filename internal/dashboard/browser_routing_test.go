package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRoutingFields fills the webhook form's ordering and rate
// limit (Advanced), shows a field error at the field, saves, and finds
// the settings on the webhook's page; screenshots in light and dark.
func TestBrowserRoutingFields(t *testing.T) {
	chrome := findChromium(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	do(t, ctx, chromedp.Navigate(h.URL+"/webhooks/new"), chromedp.WaitVisible(css("[data-picker-search]")))
	// Fields set by script: the Advanced section is folded, and the
	// event picker's boxes are styled.
	run(t, ctx, chromedp.Evaluate[bool](`(() => {
		document.querySelector('#events input[type=checkbox]').checked = true;
		document.querySelector('details.advanced').open = true;
		document.querySelector('#name').value = 'Ledger';
		document.querySelector('#url').value = 'https://example.com/ledger';
		document.querySelector('#ordering').value = 'fifo';
		document.querySelector('#ordering_key').value = 'data.*.id';
		document.querySelector('#rate_limit').value = '50';
		return true;
	})()`))
	if code := nav(t, ctx, chromedp.Submit(css("#name"))); code != http.StatusUnprocessableEntity {
		t.Fatalf("a bad ordering key saved: %d", code)
	}
	run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('details.advanced').open = true`))
	do(t, ctx, waitText("#ordering_key-error", `"*" is for filters`))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#events input[type=checkbox]:checked').length`)); n != 1 {
		t.Errorf("%d event types ticked after the error, want the 1 kept", n)
	}
	if v := run(t, ctx, chromedp.Value(css("#rate_limit"))); v != "50" {
		t.Errorf("rate limit after the error: %q, want 50 kept", v)
	}
	do(t, ctx, chromedp.ScrollIntoView(css("#ordering")))
	b.screenshot(t, ctx, "webhook-routing-error")
	do(t, ctx, chromedp.SetValue(css("#ordering_key"), "data.customer_id"))
	if code := nav(t, ctx, chromedp.Submit(css("#name"))); code != http.StatusOK {
		errs := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.error')].map(e => e.id + ": " + e.textContent)`))
		t.Fatalf("save: %d %v", code, errs)
	}
	do(t, ctx, waitText(".notice", "Webhook created."))
	page := run(t, ctx, chromedp.Text(css("main")))
	for _, want := range []string{"Rate limit", "50/s", "Waited for the limit"} {
		if !strings.Contains(page, want) {
			t.Errorf("the webhook's page lacks %q", want)
		}
	}
	run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('details.advanced').open = true`))
	if got := run(t, ctx, chromedp.Value(css("#ordering"))); got != "fifo" {
		t.Errorf("ordering shown %q, want fifo", got)
	}
	if got := run(t, ctx, chromedp.Value(css("#ordering_key"))); got != "data.customer_id" {
		t.Errorf("ordering key shown %q", got)
	}
	do(t, ctx, chromedp.ScrollIntoView(css("#ordering")))
	b.screenshot(t, ctx, "webhook-routing")
	colorScheme(t, ctx, "dark")
	b.screenshot(t, ctx, "webhook-routing-dark")
	colorScheme(t, ctx, "light")
}
