package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserEventPicker picks events with the keyboard alone: type in
// the picker's search, Tab to the first match, Space to tick it; the
// example payload follows, and the ticked type is saved.
func TestBrowserEventPicker(t *testing.T) {
	chrome := findChromium(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	do(t, ctx, chromedp.Navigate(h.URL+"/webhooks/new"), chromedp.WaitVisible(css("[data-picker-search]")))

	do(t, ctx, chromedp.Focus(css("[data-picker-search]")), chromedp.SendKeys(css("[data-picker-search]"), "membership"))
	visible := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#events [data-search]')]
		.filter(l => !l.hidden).map(l => l.querySelector('input').value)`))
	if len(visible) == 0 {
		t.Fatal("the search left no event type")
	}
	for _, v := range visible {
		if !strings.HasPrefix(v, "membership_") {
			t.Errorf("search %q shows %s", "membership", v)
		}
	}
	do(t, ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(" "))
	focused := run(t, ctx, chromedp.Evaluate[string](`document.activeElement.value`))
	if focused != visible[0] {
		t.Fatalf("Tab from the search went to %q, want %q", focused, visible[0])
	}
	if !run(t, ctx, chromedp.Evaluate[bool](`document.activeElement.checked`)) {
		t.Fatal("Space did not tick the event type")
	}
	do(t, ctx, chromedp.WaitVisible(css("#ex-"+visible[0])))
	b.screenshot(t, ctx, "event-picker")

	do(t, ctx, chromedp.SetValue(css("#name"), "Memberships"), chromedp.SetValue(css("#url"), "https://example.com/m"))
	if code := nav(t, ctx, chromedp.Submit(css("#name"))); code != http.StatusOK {
		t.Fatalf("save: %d", code)
	}
	do(t, ctx, waitText(".notice", "Webhook created."))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#events input:checked').length`)); n != 1 {
		t.Errorf("%d event types ticked after saving, want 1", n)
	}
}
