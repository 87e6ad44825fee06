package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCatcher clicks through the request catcher: set a custom
// response (with a refused header first), send requests to the bin and
// see them arrive, search them, download JSON and HAR, open the raw view
// and forward a request to a loopback receiver. Screenshots in light and
// dark mode; axe-core on each page.
func TestBrowserCatcher(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	forwarded := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		forwarded <- r.Method + " " + r.Header.Get("X-Kind") + " " + string(body)
		w.Header().Set("X-Receiver", "local")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(receiver.Close)

	var bn struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if code := h.api(t, "POST", "/api/v1/bins", map[string]any{"name": "Catcher"}, &bn); code != http.StatusCreated {
		t.Fatalf("create bin: %d", code)
	}
	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	binPage := "/inspector/" + bn.ID

	step(t, "custom response", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+binPage), chromedp.WaitVisible(css("#response-form")),
			chromedp.SetValue(css("#resp-status"), "503"),
			chromedp.SetValue(css("#resp-headers"), "Retry-After: 7\nSet-Cookie: hookline_session=x"),
			chromedp.SetValue(css("#resp-body"), "down for maintenance"),
			chromedp.SetValue(css("#resp-delay"), "0.05"))
		if code := nav(t, ctx, chromedp.Click(css("#save-response"))); code != http.StatusUnprocessableEntity {
			t.Fatalf("a refused header: %d", code)
		}
		do(t, ctx, waitText("#resp-headers-error", "Set-Cookie"))
		// What was typed is kept.
		if v := run(t, ctx, chromedp.Value(css("#resp-body"))); v != "down for maintenance" {
			t.Fatalf("body after the error: %q", v)
		}
		do(t, ctx, chromedp.SetValue(css("#resp-headers"), "Retry-After: 7\nX-Catcher: yes"))
		if code := nav(t, ctx, chromedp.Click(css("#save-response"))); code != http.StatusOK {
			t.Fatalf("saving the response: %d", code)
		}
		do(t, ctx, waitText("#response-now", "503"), waitText("#response-now", "0.05 s"))
	})

	step(t, "requests arrive", func(t *testing.T) {
		do(t, ctx, chromedp.WaitVisible(css("#live-status.on")))
		req, _ := http.NewRequest("POST", h.URL+"/bins/"+bn.Token+"/orders?x=1", strings.NewReader(`{"order":42,"bytes":"é"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Kind", "order.created")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || string(answer) != "down for maintenance" || resp.Header.Get("X-Catcher") != "yes" {
			t.Fatalf("the bin answered %d %q %v", resp.StatusCode, answer, resp.Header)
		}
		resp, err = http.Get(h.URL + "/bins/" + bn.Token + "/ping")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		do(t, ctx, waitText("#request-count", "2"), waitText("#requests", "/ping"))
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			b.screenshot(t, ctx, "catcher-bin-"+scheme)
			axeCheck(t, ctx, axe, binPage+" ("+scheme+")")
		}
		colorScheme(t, ctx, "light")
	})

	step(t, "search and download", func(t *testing.T) {
		do(t, ctx, chromedp.SetValue(css("#search-header"), "x-kind: ORDER"))
		if code := nav(t, ctx, chromedp.Click(css("#search-requests"))); code != http.StatusOK {
			t.Fatalf("search: %d", code)
		}
		do(t, ctx, waitText("#request-count", "1"), waitText("#requests", "/orders"), chromedp.WaitVisible(css("#search-note")))
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#requests [data-request]').length`)); n != 1 {
			t.Fatalf("%d requests shown for the search", n)
		}
		b.screenshot(t, ctx, "catcher-search-light")
		har := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#download-har").getAttribute("href")`))
		if !strings.Contains(har, "header=x-kind") {
			t.Fatalf("the HAR link does not carry the search: %s", har)
		}
		do(t, ctx, waitServer(har, `"version": "1.2"`), waitServer(har, `"method": "POST"`),
			waitServer(binPage+"/export?format=json", `"path": "/bins/`+bn.Token+`/ping"`))
		// A bad search term is shown next to its field.
		do(t, ctx, chromedp.SetValue(css("#search-method"), "NOT A METHOD"))
		if code := nav(t, ctx, chromedp.Click(css("#search-requests"))); code != http.StatusUnprocessableEntity {
			t.Fatalf("a bad search: %d", code)
		}
		do(t, ctx, waitText("#search-method-error", "method"))
	})

	var reqPage string
	step(t, "raw view", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+binPage+"?path=/orders"), chromedp.WaitVisible(css("#requests details")),
			chromedp.Click(css("#requests details summary")))
		nav(t, ctx, chromedp.Click(css("#requests details .req-links a")))
		reqPage = run(t, ctx, chromedp.Evaluate[string](`location.pathname`))
		nav(t, ctx, chromedp.Click(css("#raw-link")))
		do(t, ctx, waitText("#raw-request", "POST /bins/"+bn.Token+"/orders?x=1 HTTP/1.1\nHost: "),
			waitText("#raw-request", "X-Kind: order.created\n"), waitText("#raw-request", `{"order":42,"bytes":"é"}`))
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			b.screenshot(t, ctx, "catcher-raw-"+scheme)
			axeCheck(t, ctx, axe, reqPage+"/raw ("+scheme+")")
		}
		colorScheme(t, ctx, "light")
		href := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#raw-download").getAttribute("href")`))
		do(t, ctx, waitServer(href, "\r\n\r\n{\"order\":42"))
	})

	step(t, "forward", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+reqPage), chromedp.SetValue(css("#forward-url"), "http://169.254.169.254/latest"))
		if code := nav(t, ctx, chromedp.Click(css("#forward-send"))); code != http.StatusUnprocessableEntity {
			t.Fatalf("forward to a link-local address: %d", code)
		}
		do(t, ctx, waitText("#forward-result", "private or reserved"))
		do(t, ctx, chromedp.SetValue(css("#forward-url"), receiver.URL+"/hooks"))
		if code := nav(t, ctx, chromedp.Click(css("#forward-send"))); code != http.StatusOK {
			t.Fatalf("forward: %d", code)
		}
		do(t, ctx, waitText("#forward-result", "HTTP 202"), waitText("#forward-result", "X-Receiver"),
			waitText("#forward-result", `"received": true`))
		if got := <-forwarded; got != `POST order.created {"order":42,"bytes":"é"}` {
			t.Fatalf("the receiver got %q", got)
		}
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			b.screenshot(t, ctx, "catcher-forward-"+scheme)
			axeCheck(t, ctx, axe, reqPage+" forwarded ("+scheme+")")
		}
		colorScheme(t, ctx, "light")
		do(t, ctx, waitServer("/audit", "bin.forward"))
	})

	step(t, "default response again", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(h.URL+binPage), chromedp.WaitVisible(css("#reset-response")))
		nav(t, ctx, chromedp.Click(css("#reset-response")))
		do(t, ctx, waitText("#response-now", "the default"))
		resp, err := http.Get(h.URL + "/bins/" + bn.Token)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("default answer: %d", resp.StatusCode)
		}
	})
}
