package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store"
)

// The browser test drives the real server (app.New + Run, as `hookline
// serve`) with headless Chromium: one browser for the whole test, a tab
// per step that needs its own.

const (
	adminPassword = "browser-test-password"
	// publicURL is where bins say they live. Nothing resolves it: Hookline
	// delivers to its own bins in process.
	publicURL = "http://hookline.test"
)

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not installed: CI must run the browser tests (apt-get install -y chromium)")
	}
	t.Skip("chromium not installed: apt-get install -y chromium to run the browser tests")
	return ""
}

// hookline is a running server for the browser test.
type hookline struct {
	URL string
	Key string
	// Store is the server's own store, for seeding what the API cannot
	// make (attempts in the past).
	Store store.Store
}

// startHookline starts the server; tweaks change its configuration first.
func startHookline(t *testing.T, tweaks ...func(*config.Config)) *hookline {
	t.Helper()
	cfg := config.Default()
	cfg.AdminPassword = adminPassword
	cfg.PublicURL = publicURL
	cfg.DataDir = t.TempDir()
	// The flaky receiver below is on loopback; bins need no such opening.
	cfg.AllowPrivateTargets = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cfg.RetrySchedule = []time.Duration{time.Hour} // one automatic retry, far away: the test retries by hand
	cfg.ShutdownTimeout = 5 * time.Second
	for _, tw := range tweaks {
		tw(&cfg)
	}
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("server: %v", err)
		}
	})
	_, key, err := auth.Create(context.Background(), a.Store(), auth.CreateParams{Name: "browser test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &hookline{URL: "http://" + ln.Addr().String(), Key: key, Store: a.Store()}
}

// api calls the REST API and decodes the answer into out.
func (h *hookline) api(t *testing.T, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // send "<script>" as is, to see it escaped on the way out
		if err := enc.Encode(body); err != nil {
			t.Fatal(err)
		}
		rd = &buf
	}
	req, _ := http.NewRequest(method, h.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+h.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

// flaky is a receiver that fails until told to succeed; each request is
// announced on got.
type flaky struct {
	srv *httptest.Server
	mu  sync.Mutex
	ok  bool
	got chan struct{}
}

func newFlaky(t *testing.T) *flaky {
	f := &flaky{got: make(chan struct{}, 100)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := f.ok
		f.mu.Unlock()
		if ok {
			io.WriteString(w, `{"ok":true}`)
		} else {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":"database is down"}`)
		}
		f.got <- struct{}{}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *flaky) succeed() {
	f.mu.Lock()
	f.ok = true
	f.mu.Unlock()
}

func (f *flaky) wait(t *testing.T) {
	t.Helper()
	select {
	case <-f.got:
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver got no request")
	}
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
	out := filepath.Join(dir, "test-output", "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// browser is one headless Chromium for the whole test.
type browser struct {
	t     *testing.T
	ctx   context.Context // the first tab
	shots string
}

func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	// A whole browser test is bounded; the full accessibility sweep
	// (HOOKLINE_LONG=1) visits every page twice and needs longer.
	limit := 4 * time.Minute
	if os.Getenv("HOOKLINE_LONG") == "1" {
		limit = 12 * time.Minute
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), limit)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return &browser{t: t, ctx: bctx, shots: screenshotDir(t)}
}

// tab opens another tab in the same browser.
func (b *browser) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// stepTimeout bounds one browser step, so a broken page fails the test
// instead of hanging it.
const stepTimeout = 45 * time.Second

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// nav runs steps that load a new page (a form submit, a link) and waits
// for it; it returns the page's HTTP status.
func nav(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatal(err)
	}
	return int(resp.Status)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitText waits until the element matching css contains text; it
// re-checks on every DOM change.
func waitText(css, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); return !!e && e.textContent.includes(%s); })()`,
		jsString(css), jsString(text)), chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(30*time.Second))
}

// waitServer waits until the page at path (fetched by the browser with its
// session) contains text: for state that the server stores after an
// asynchronous delivery attempt.
func waitServer(path, text string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](
		`async (p, s) => { const r = await fetch(p, {credentials: 'same-origin'}); return (await r.text()).includes(s); }`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second),
		chromedp.WithPollingArgs(path, text))
}

func (b *browser) screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func colorScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		t.Fatal(err)
	}
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// step runs a subtest; the later ones build on it, so a failure stops the
// test.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

func TestBrowser(t *testing.T) {
	chrome := findChromium(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx
	var binURL, binPage, webhookID string

	step(t, "sign in", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+"/"), chromedp.WaitVisible(css("#password")))
		if loc := run(t, ctx, chromedp.Location()); !strings.HasPrefix(loc, h.URL+"/login") {
			t.Fatalf("signed out, / went to %s", loc)
		}
		b.screenshot(t, ctx, "login")
		do(t, ctx, chromedp.SetValue(css("#username"), "admin"), chromedp.SetValue(css("#password"), "not the password"))
		if code := nav(t, ctx, chromedp.Submit(css("#password"))); code != http.StatusUnauthorized {
			t.Errorf("wrong password: %d", code)
		}
		do(t, ctx, waitText("#login-error", "Wrong username or password."), chromedp.SetValue(css("#password"), adminPassword))
		nav(t, ctx, chromedp.Submit(css("#password")))
		do(t, ctx, waitText("main h1", "Webhooks"))
	})

	step(t, "create a webhook pointing at a bin", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+"/inspector"), chromedp.SetValue(css("#bin-name"), "Payments demo"))
		nav(t, ctx, chromedp.Submit(css("#bin-name")))
		do(t, ctx, waitText(".notice", "Bin created"))
		binPage = run(t, ctx, chromedp.Location())
		binURL = run(t, ctx, chromedp.Text(css("#bin-url")))
		if !strings.HasPrefix(binURL, publicURL+"/bins/") {
			t.Fatalf("bin URL %q", binURL)
		}

		do(t, ctx, chromedp.Navigate(h.URL+"/"))
		nav(t, ctx, chromedp.Click(css(`a[href="/webhooks/new"]`)))
		// Validation: the error sits next to the field and what was typed stays.
		do(t, ctx,
			chromedp.SetValue(css("#name"), "P"),
			chromedp.SetValue(css("#url"), binURL),
			chromedp.Evaluate[chromedp.Void](`(() => {
				const picker = document.getElementById('events');
				for (const o of picker.querySelectorAll('input[type=checkbox]')) o.checked = ['payment_received', 'domain_created'].includes(o.value);
				picker.dispatchEvent(new Event('change', {bubbles: true}));
			})()`),
			chromedp.WaitVisible(css("#ex-payment_received")),
		)
		if code := nav(t, ctx, chromedp.Submit(css("#name"))); code != http.StatusUnprocessableEntity {
			t.Errorf("invalid form: %d", code)
		}
		do(t, ctx, waitText("#name-error", "must be 2 to 200 characters"))
		if v := run(t, ctx, chromedp.Value(css("#url"))); v != binURL {
			t.Errorf("URL not kept: %q", v)
		}
		do(t, ctx,
			chromedp.WaitVisible(css("#ex-payment_received")), // the preview follows the kept selection
			chromedp.SetValue(css("#name"), "Payments to the inspector"),
		)
		nav(t, ctx, chromedp.Submit(css("#name")))
		do(t, ctx, waitText(".notice", "Webhook created."))
		loc := run(t, ctx, chromedp.Location())
		webhookID = strings.TrimSuffix(strings.TrimPrefix(loc, h.URL+"/webhooks/"), "?notice=created")
		if !strings.HasPrefix(webhookID, "wh_") {
			t.Fatalf("after create: %s", loc)
		}
	})

	step(t, "send a test event", func(t *testing.T) {
		do(t, ctx,
			chromedp.Navigate(h.URL+"/webhooks/"+webhookID),
			chromedp.Click(css("#send-test")),
			waitText("#result-dialog", "Test event delivered"),
		)
		text := run(t, ctx, chromedp.Text(css("#result-dialog")))
		for _, want := range []string{"HTTP 200", "Webhook-Signature", "v1,", "Webhook-Timestamp", "Response headers", `"ok": true`} {
			if !strings.Contains(text, want) {
				t.Errorf("dialog lacks %q:\n%s", want, text)
			}
		}
		b.screenshot(t, ctx, "send-test-dialog")
		// Closing the dialog shows the test in the page's own log.
		nav(t, ctx, chromedp.Click(css("#result-dialog [data-close]")))
		do(t, ctx, waitText("main", "Recent test sends"))
	})

	step(t, "an event arrives live in the bin and in the delivery log", func(t *testing.T) {
		binTab := b.tab(t)
		do(t, binTab, chromedp.Navigate(binPage), waitText("#live-status", "Live"))
		before := run(t, binTab, chromedp.Evaluate[int](`document.querySelectorAll('#requests [data-request]').length`))

		var ev struct {
			ID string `json:"id"`
		}
		const xss = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`
		if code := h.api(t, "POST", "/api/v1/events", map[string]any{
			"type": "payment_received", "data": map[string]any{"payment_id": 7, "customer_name": xss},
		}, &ev); code != http.StatusAccepted {
			t.Fatalf("publish: %d", code)
		}
		do(t, binTab, chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`document.querySelectorAll('#requests [data-request]').length > %d`, before), chromedp.WithPollingMutation()))
		first := run(t, binTab, chromedp.TextContent(css("#requests [data-request]")))
		if !strings.Contains(first, ev.ID) || !strings.Contains(first, "Signature valid") {
			t.Errorf("live request lacks the event id or a valid signature:\n%s", first)
		}
		if !strings.Contains(first, "<script>window.__xss=1</script>") {
			t.Errorf("the payload is not shown as text:\n%s", first)
		}
		if got := run(t, binTab, chromedp.Evaluate[any](`window.__xss === undefined ? null : window.__xss`)); got != nil {
			t.Fatalf("a <script> payload ran: %v", got)
		}
		if n := run(t, binTab, chromedp.Evaluate[int](`document.querySelectorAll('#requests script, #requests img').length`)); n != 0 {
			t.Fatalf("payload markup became elements: %d", n)
		}
		do(t, binTab, chromedp.Click(css("#requests [data-request] summary")), chromedp.WaitVisible(css("#requests [data-request] pre.code")))
		b.screenshot(t, binTab, "inspector-bin")

		// The delivery log of the webhook shows it, expandable to the attempt.
		do(t, ctx, waitServer("/webhooks/"+webhookID, ev.ID), chromedp.Navigate(h.URL+"/webhooks/"+webhookID),
			chromedp.Click(css("#delivery-log details.row summary")),
			chromedp.WaitVisible(css("#delivery-log details.row .attempt")))
		log := run(t, ctx, chromedp.Text(css("#delivery-log")))
		for _, want := range []string{"payment_received", "Succeeded", "Attempt 1", "HTTP 200", ev.ID} {
			if !strings.Contains(log, want) {
				t.Errorf("delivery log lacks %q", want)
			}
		}
		if got := run(t, ctx, chromedp.Evaluate[any](`window.__xss === undefined ? null : window.__xss`)); got != nil {
			t.Fatalf("a <script> payload ran in the delivery log: %v", got)
		}
		b.screenshot(t, ctx, "webhook-edit")
		colorScheme(t, ctx, "dark")
		b.screenshot(t, ctx, "webhook-edit-dark")
		colorScheme(t, ctx, "light")
	})

	step(t, "retry a failed delivery", func(t *testing.T) {
		rcv := newFlaky(t)
		var w struct {
			ID string `json:"id"`
		}
		if code := h.api(t, "POST", "/api/v1/webhooks", map[string]any{
			"name": "Flaky CRM", "url": rcv.srv.URL + "/hook", "events": []string{"payment_failed"},
		}, &w); code != http.StatusCreated {
			t.Fatalf("create: %d", code)
		}
		if code := h.api(t, "POST", "/api/v1/events", map[string]any{"type": "payment_failed", "data": map[string]any{"payment_id": 9}}, nil); code != http.StatusAccepted {
			t.Fatalf("publish: %d", code)
		}
		rcv.wait(t) // attempt 1: 500, a retry is scheduled an hour later
		page := "/webhooks/" + w.ID
		do(t, ctx, waitServer(page, "HTTP 500"), chromedp.Navigate(h.URL+page),
			chromedp.Click(css("#delivery-log details.row summary")))
		nav(t, ctx, chromedp.Click(css(`#delivery-log details.row form[action$="/retry"] button`)))
		// The notice says what is known when the page loads: queued, or
		// already what the new attempt did.
		notice := run(t, ctx, chromedp.Text(css(".notice")))
		if !strings.Contains(notice, "Delivery queued for another attempt.") && !strings.Contains(notice, "Retried: attempt 2 failed") {
			t.Errorf("notice after Retry: %q", notice)
		}
		rcv.wait(t) // attempt 2: 500 again, and the schedule is spent
		// Loaded again once the attempt ran, it says what happened, not
		// "queued" beside the new failure.
		do(t, ctx, waitServer(page, ">Failed<"), chromedp.Reload(),
			waitText(".notice", "Retried: attempt 2 failed (500 Internal Server Error)."))
		do(t, ctx, chromedp.Navigate(h.URL+page), waitText("#delivery-log", "Failed"))
		b.screenshot(t, ctx, "delivery-failed")

		rcv.succeed()
		do(t, ctx, chromedp.Click(css("#delivery-log details.row summary")))
		nav(t, ctx, chromedp.Click(css(`#delivery-log details.row form[action$="/retry"] button`)))
		if notice := run(t, ctx, chromedp.Text(css(".notice"))); !strings.Contains(notice, "Delivery queued") &&
			!strings.Contains(notice, "Retried: attempt 3 was delivered") {
			t.Errorf("notice after the second Retry: %q", notice)
		}
		rcv.wait(t) // attempt 3: 200
		do(t, ctx, waitServer(page, ">Succeeded<"), chromedp.Navigate(h.URL+page), waitText("#delivery-log", "Succeeded"))
		if log := run(t, ctx, chromedp.Text(css("#delivery-log details.row"))); !strings.Contains(log, "3") {
			t.Errorf("delivery row: %s", log)
		}
		// Each attempt says what the receiver answered and what followed.
		do(t, ctx, chromedp.Click(css("#delivery-log details.row summary")),
			chromedp.WaitVisible(css("#delivery-log details.row .attempt")))
		heads := run(t, ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('#delivery-log details.row .attempt-head')].map(e => e.textContent.replace(/\s+/g, ' ').trim())`))
		want := []string{"Attempt 3 HTTP 200 200 OK → Delivered", "Attempt 2 HTTP 500 500 Internal Server Error → Failed",
			"Attempt 1 HTTP 500 500 Internal Server Error → Retry scheduled"}
		for i, w := range want {
			if i >= len(heads) || !strings.HasPrefix(heads[i], w) {
				t.Errorf("attempt heads %q, want each to start with %q", heads, want)
				break
			}
		}
		b.screenshot(t, ctx, "delivery-attempts")
	})

	step(t, "mark a header secret as it is typed", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+"/webhooks/new"),
			chromedp.Click(css("details.advanced summary")),
			chromedp.WaitVisible(css("#headers")),
			chromedp.SendKeys(css("#headers"), "X-Partner-Ref: abc\nX-Api-Key: k"),
			chromedp.WaitVisible(css(`#secret-headers input[value="X-Api-Key"]`)),
			chromedp.Click(css(`#secret-headers input[value="X-Partner-Ref"]`)),
		)
		state := run(t, ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('#secret-headers input')].map(i => i.value + (i.checked ? ' checked' : '') + (i.disabled ? ' disabled' : ''))`))
		if want := []string{"X-Partner-Ref checked", "X-Api-Key checked disabled"}; strings.Join(state, ",") != strings.Join(want, ",") {
			t.Errorf("secret boxes %q, want %q", state, want)
		}
		// Editing the lines keeps the boxes' state by name.
		do(t, ctx, chromedp.SendKeys(css("#headers"), "\nX-Team: billing"),
			chromedp.WaitVisible(css(`#secret-headers input[value="X-Team"]`)))
		if checked := run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('#secret-headers input[value="X-Partner-Ref"]').checked`)); !checked {
			t.Error("the X-Partner-Ref box lost its check when another header was typed")
		}
		b.screenshot(t, ctx, "webhook-secret-headers")
	})

	step(t, "rotate the secret", func(t *testing.T) {
		do(t, ctx,
			chromedp.Navigate(h.URL+"/webhooks/"+webhookID),
			chromedp.Click(css("#reveal-secret")),
			chromedp.WaitVisible(css("#secret-0")),
		)
		old := run(t, ctx, chromedp.Text(css("#secret-0")))
		if !strings.HasPrefix(old, "whsec_") {
			t.Fatalf("revealed %q", old)
		}
		do(t, ctx,
			chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
			chromedp.Click(css("#rotate-secret")),
			waitText("#secret-box", "New secret created"),
		)
		current := run(t, ctx, chromedp.Text(css("#secret-0")))
		previous := run(t, ctx, chromedp.Text(css("#secret-1")))
		if current == old || previous != old {
			t.Errorf("after rotation: current %q previous %q, old %q", current, previous, old)
		}
		var s struct {
			Secret string `json:"secret"`
		}
		h.api(t, "GET", "/api/v1/webhooks/"+webhookID+"/secret", nil, &s)
		if s.Secret != current {
			t.Errorf("API says the secret is %q, the page %q", s.Secret, current)
		}
	})

	step(t, "pages", func(t *testing.T) {
		for _, p := range []struct{ path, shot, want string }{
			{"/", "webhooks", "Payments to the inspector"},
			{"/events", "events", "payment_received"},
			{"/event-types", "event-types", "Payment Received"},
			{"/overview", "overview", "Delivery attempts per minute"},
			{"/inspector", "inspector", "Payments demo"},
			{"/webhooks/new", "webhook-new", "Add New Webhook"},
		} {
			do(t, ctx, chromedp.Navigate(h.URL+p.path), waitText("main", p.want))
			b.screenshot(t, ctx, p.shot)
		}
		colorScheme(t, ctx, "dark")
		for _, p := range []struct{ url, shot string }{
			{h.URL + "/", "webhooks-dark"}, {h.URL + "/overview", "overview-dark"}, {binPage, "inspector-bin-dark"},
			{h.URL + "/event-types", "event-types-dark"},
		} {
			do(t, ctx, chromedp.Navigate(p.url), chromedp.WaitVisible(css("main")))
			b.screenshot(t, ctx, p.shot)
		}
		colorScheme(t, ctx, "light")
		narrow := b.tab(t)
		do(t, narrow, chromedp.EmulateViewport(390, 844), chromedp.Navigate(h.URL+"/"), chromedp.WaitVisible(css("#webhooks")))
		b.screenshot(t, narrow, "webhooks-narrow")
		do(t, narrow, chromedp.Navigate(h.URL+"/webhooks/"+webhookID), chromedp.WaitVisible(css("#delivery-log")))
		b.screenshot(t, narrow, "webhook-edit-narrow")
	})

	step(t, "a cross-site POST gets 403", func(t *testing.T) {
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><title>evil</title>
<form id="f" method="post" action="%s/webhooks/new">
<input name="name" value="forged"><input name="url" value="https://evil.example/x">
<input name="events" value="*"><input name="active" value="on"><button id="go">Win a prize</button></form>`, h.URL)
		}))
		defer evil.Close()
		tab := b.tab(t)
		do(t, tab, chromedp.Navigate(evil.URL))
		if code := nav(t, tab, chromedp.Click(css("#go"))); code != http.StatusForbidden {
			t.Errorf("cross-site form post: %d, want 403", code)
		}
		text := run(t, tab, chromedp.Text(css("body")))
		if !strings.Contains(text, "cross-site request forgery") {
			t.Errorf("403 page: %s", text)
		}
		var list struct {
			Data []struct{ Name string } `json:"data"`
		}
		h.api(t, "GET", "/api/v1/webhooks?search=forged", nil, &list)
		if len(list.Data) != 0 {
			t.Fatalf("the forged form created a webhook: %+v", list.Data)
		}
	})

	step(t, "tenants", func(t *testing.T) { browseTenants(t, h, b, binURL) })

	step(t, "delete the webhook", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+"/"))
		nav(t, ctx, chromedp.Click(css(`tr[data-webhook="`+webhookID+`"] a.btn-danger`)))
		do(t, ctx, waitText("main h1", "Delete this webhook?"))
		nav(t, ctx, chromedp.Click(css(`form[action="/webhooks/`+webhookID+`/delete"] button`)))
		do(t, ctx, waitText(".notice", "Webhook deleted."), chromedp.WaitNotPresent(css(`tr[data-webhook="`+webhookID+`"]`)))
		if code := h.api(t, "GET", "/api/v1/webhooks/"+webhookID, nil, nil); code != http.StatusNotFound {
			t.Errorf("deleted webhook: %d", code)
		}
	})
}
