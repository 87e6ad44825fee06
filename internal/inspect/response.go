package inspect

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/webhook"
)

// Limits of a bin's custom response.
const (
	// MaxResponseBody bounds a custom response's body, in bytes: enough
	// for any error page a sender might need to parse, small enough that
	// answering costs nothing.
	MaxResponseBody = 64 << 10
	// MaxResponseHeaders bounds how many headers a custom response sets.
	MaxResponseHeaders = 20
	// maxHeaderValue bounds one header value, in bytes.
	maxHeaderValue = 1024
	// MaxDelay is the longest a bin waits before it answers: long enough
	// to trip a sender's timeout, short enough that a slow bin never holds
	// a connection (or one of Hookline's own delivery workers) for long.
	MaxDelay = 30 * time.Second
)

// deniedHeaders may not be set by a custom response. Hop-by-hop headers
// and Content-Length belong to the connection, which the server manages.
// The rest protect the dashboard: bins are served on its origin, so a
// response that set cookies, security policies or site data would act on
// a signed-in operator's browser.
var deniedHeaders = map[string]string{
	"Connection":                          "is a hop-by-hop header, set by the server",
	"Keep-Alive":                          "is a hop-by-hop header, set by the server",
	"Proxy-Connection":                    "is a hop-by-hop header, set by the server",
	"Proxy-Authenticate":                  "is a hop-by-hop header, set by the server",
	"Proxy-Authorization":                 "is a hop-by-hop header, set by the server",
	"Te":                                  "is a hop-by-hop header, set by the server",
	"Trailer":                             "is a hop-by-hop header, set by the server",
	"Transfer-Encoding":                   "is a hop-by-hop header, set by the server",
	"Upgrade":                             "is a hop-by-hop header, set by the server",
	"Content-Length":                      "is set from the body",
	"Date":                                "is set by the server",
	"Set-Cookie":                          "is not allowed: bins share the dashboard's origin",
	"Clear-Site-Data":                     "is not allowed: bins share the dashboard's origin",
	"Content-Security-Policy":             "is not allowed: bins share the dashboard's origin",
	"Content-Security-Policy-Report-Only": "is not allowed: bins share the dashboard's origin",
	"Strict-Transport-Security":           "is not allowed: bins share the dashboard's origin",
	"Alt-Svc":                             "is not allowed: bins share the dashboard's origin",
	"X-Content-Type-Options":              "is always nosniff",
}

// CheckResponse reports every problem with a custom response at once, as
// field errors under "response" ("response.status", …).
func CheckResponse(r bin.Response) error {
	var v webhook.Validation
	at := webhook.At("response")
	switch {
	case r.Status >= 100 && r.Status < 200:
		// Go's server sends a 1xx as an interim response and then a 200:
		// the sender would never see it as the answer.
		v.Add(webhook.EINVALID, at.Key("status"), "must be 200 to 599: a 1xx status is an interim response, not an answer")
	case r.Status < 200 || r.Status > 599:
		v.Add(webhook.EINVALID, at.Key("status"), "must be 200 to 599")
	}
	if len(r.Headers) > MaxResponseHeaders {
		v.Add(webhook.EINVALID, at.Key("headers"), "may set at most %d headers", MaxResponseHeaders)
	}
	names := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		val := r.Headers[k]
		hat := at.Key("headers").Key(k)
		switch {
		case !validHeaderName(k):
			v.Add(webhook.EINVALID, hat, "is not a valid header name")
			continue
		case deniedHeaders[http.CanonicalHeaderKey(k)] != "":
			v.Add(webhook.EINVALID, hat, "%s", deniedHeaders[http.CanonicalHeaderKey(k)])
			continue
		}
		if !validHeaderValue(val) {
			v.Add(webhook.EINVALID, hat, "must not hold line breaks or control characters")
		} else if len(val) > maxHeaderValue {
			v.Add(webhook.EINVALID, hat, "must be at most %d bytes", maxHeaderValue)
		}
	}
	switch {
	case len(r.Body) > MaxResponseBody:
		v.Add(webhook.EINVALID, at.Key("body"), "must be at most %d KiB", MaxResponseBody>>10)
	case !utf8.ValidString(r.Body) || strings.IndexByte(r.Body, 0) >= 0:
		v.Add(webhook.EINVALID, at.Key("body"), "must be UTF-8 text without NUL bytes")
	case r.Body != "" && (r.Status == http.StatusNoContent || r.Status == http.StatusNotModified):
		v.Add(webhook.EINVALID, at.Key("body"), "must be empty for a %d response, which has no body", r.Status)
	}
	if r.DelayMS < 0 || r.DelayMS > int(MaxDelay/time.Millisecond) {
		v.Add(webhook.EINVALID, at.Key("delay_ms"), "must be 0 to %d (%s)", MaxDelay/time.Millisecond, MaxDelay)
	}
	return v.Err()
}

// SetResponse gives a bin within the tenant scope of ctx's principal a
// custom response; nil restores the default. Header names are stored in
// their canonical spelling.
func (i *Inspector) SetResponse(ctx context.Context, binID string, r *bin.Response) (bin.Bin, error) {
	if r != nil {
		if err := CheckResponse(*r); err != nil {
			return bin.Bin{}, err
		}
		c := *r
		c.Headers = make(map[string]string, len(r.Headers))
		for k, v := range r.Headers {
			c.Headers[http.CanonicalHeaderKey(k)] = v
		}
		r = &c
	}
	b, err := i.Get(ctx, binID)
	if err != nil {
		return b, err
	}
	if err := i.cfg.Store.BinSetResponse(ctx, auth.ScopeFrom(ctx), binID, r); err != nil {
		return bin.Bin{}, err
	}
	b.Response = r
	return b, nil
}

// Close ends the delays of custom responses being served, so that a
// shutting-down server is not held by slow bins (captures that came over
// the network also end when their server shuts down). The inspector keeps
// capturing, without delays.
func (i *Inspector) Close() {
	i.closeOnce.Do(func() { close(i.closing) })
}

// answer writes a bin's custom response after its delay. The delay ends
// early when the sender goes away (nothing is written then), when the
// server shuts down, or at Close (the response is written at once).
func (i *Inspector) answer(w http.ResponseWriter, r *http.Request, resp *bin.Response, stop <-chan struct{}) {
	if resp.DelayMS > 0 {
		d := time.Duration(resp.DelayMS) * time.Millisecond
		// The server's write timeout counts from the request's headers:
		// give the delay room on top of it.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + 30*time.Second))
		wait, cancel := i.timer(d)
		defer cancel()
		select {
		case <-wait:
		case <-r.Context().Done():
			return
		case <-stop: // nil, never ready, for in-process captures
		case <-i.closing:
		}
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	if resp.Body != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	// Bins share the dashboard's origin: whatever the body is, a browser
	// must not run it there.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	if !bodyless(resp.Status) {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead && !bodyless(resp.Status) {
		_, _ = w.Write([]byte(resp.Body))
	}
}

func bodyless(status int) bool {
	return status == http.StatusNoContent || status == http.StatusNotModified
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s holds no control characters but
// horizontal tabs (so no line breaks that would split the header).
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// realTimer is the delay of a custom response; tests swap in one that
// never fires, so that only the events that must end a delay can.
func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
