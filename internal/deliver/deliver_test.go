package deliver_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/webhook"
	"github.com/hookline/hookline/verify"
)

// t0 has a sub-second part so that the envelope timestamp shows whether
// nanoseconds survive and the signature shows that they do not.
var t0 = time.Date(2030, time.March, 14, 9, 26, 53, 589793238, time.UTC)

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_dGhpcyBpcyBhIHNlY29uZCB0ZXN0IHNlY3JldCEh"
)

// loopbackClient is the production egress client opened to loopback only,
// which is where every test receiver listens.
func loopbackClient() *http.Client {
	return egress.NewClient(egress.Config{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
}

// received is one request as a test receiver saw it.
type received struct {
	method string
	header http.Header
	body   []byte
}

// receiver starts a loopback server that records every request on the
// returned channel and then runs h (which may be nil for a plain 200).
func receiver(t *testing.T, h http.HandlerFunc) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{method: r.Method, header: r.Header.Clone(), body: body}
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func mustSigner(t testing.TB, secrets ...string) *signing.Signer {
	t.Helper()
	s, err := signing.NewSigner(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testEvent() webhook.Event {
	return webhook.Event{
		ID: "evt_01hq3z5v9k8m7n6p5q4r3s2t1v", Tenant: webhook.DefaultTenant, Type: "invoice.paid",
		Data: json.RawMessage(`{"invoice":"in_1","amount":1200}`), CreatedAt: t0,
	}
}

func testWebhook(url string) webhook.Webhook {
	return webhook.Webhook{
		ID: "wh_01hq3z5v9k8m7n6p5q4r3s2t1v", Tenant: webhook.DefaultTenant, Name: "test", URL: url,
		Events: []string{webhook.AllEvents}, Active: true, Format: webhook.FormatEnvelope,
	}
}

// fixedNow returns t0 on the first call and t0+1.5ms afterwards, so an
// attempt's start and duration are both known.
func fixedNow() func() time.Time {
	var calls atomic.Int64
	return func() time.Time {
		if calls.Add(1) == 1 {
			return t0
		}
		return t0.Add(1500 * time.Microsecond)
	}
}

func TestAttemptRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		format  webhook.Format
		secrets []string
	}{
		{name: "envelope one secret", format: webhook.FormatEnvelope, secrets: []string{secretA}},
		{name: "raw one secret", format: webhook.FormatRaw, secrets: []string{secretA}},
		{name: "rotation overlap signs with both", format: webhook.FormatEnvelope, secrets: []string{secretB, secretA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, got := receiver(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Receiver", "seen")
				w.WriteHeader(http.StatusAccepted)
				io.WriteString(w, `{"ok":true}`)
			})
			d := deliver.New(deliver.Config{Client: loopbackClient(), Version: "1.2.3", Now: fixedNow()})
			wh := testWebhook(srv.URL + "/hooks?x=1")
			wh.Format = tt.format
			wh.Headers = map[string]string{"X-Custom": "yes", "Authorization": "Bearer receiver-token"}
			ev := testEvent()
			a, _ := d.Send(context.Background(), deliver.Task{
				Webhook: wh, Signer: mustSigner(t, tt.secrets...), Event: ev, DeliveryID: "dlv_1", Number: 3,
			})
			r := <-got

			wantBody := webhook.Body(tt.format, ev)
			if r.method != http.MethodPost {
				t.Errorf("method = %s, want POST", r.method)
			}
			if !bytes.Equal(r.body, wantBody) {
				t.Errorf("body = %s, want %s", r.body, wantBody)
			}
			wantHeaders := map[string]string{
				"webhook-id":        ev.ID,
				"webhook-timestamp": strconv.FormatInt(t0.Unix(), 10),
				"webhook-event":     ev.Type,
				"User-Agent":        "Hookline/1.2.3",
				"Content-Type":      "application/json",
				"X-Custom":          "yes",
				"Authorization":     "Bearer receiver-token",
			}
			for k, v := range wantHeaders {
				if vals := r.header.Values(k); len(vals) != 1 || vals[0] != v {
					t.Errorf("header %s = %q, want [%q]", k, vals, v)
				}
			}
			sig := r.header.Get("webhook-signature")
			if n := len(strings.Fields(sig)); n != len(tt.secrets) {
				t.Errorf("webhook-signature %q has %d entries, want %d", sig, n, len(tt.secrets))
			}
			// Each secret alone verifies: a receiver knowing only the old
			// or only the new one accepts the message.
			for _, s := range tt.secrets {
				v, err := verify.New(s)
				if err != nil {
					t.Fatal(err)
				}
				v.Now = func() time.Time { return t0 }
				if err := v.Verify(r.header, r.body); err != nil {
					t.Errorf("verify with %s: %v", s[:10], err)
				}
			}

			if !a.Success() || a.ErrorClass != webhook.ErrClassNone || a.Error != "" {
				t.Errorf("attempt not a success: class %q error %q", a.ErrorClass, a.Error)
			}
			if !webhook.HasPrefix(a.ID, webhook.PrefixAttempt) {
				t.Errorf("attempt ID = %q", a.ID)
			}
			if a.DeliveryID != "dlv_1" || a.WebhookID != wh.ID || a.EventID != ev.ID || a.EventType != ev.Type ||
				a.Number != 3 || a.Test || a.URL != wh.URL {
				t.Errorf("attempt identity = %+v", a)
			}
			if !a.StartedAt.Equal(t0) || a.DurationMS != 1.5 {
				t.Errorf("StartedAt, DurationMS = %v, %v; want %v, 1.5", a.StartedAt, a.DurationMS, t0)
			}
			if !bytes.Equal(a.RequestBody, wantBody) {
				t.Errorf("RequestBody = %s", a.RequestBody)
			}
			// The body is the event's in the webhook's format, so the store
			// may keep a reference instead of a copy.
			if a.RequestBodyOf != tt.format {
				t.Errorf("RequestBodyOf = %q, want %q", a.RequestBodyOf, tt.format)
			}
			for k := range wantHeaders {
				if k == "Authorization" {
					continue // stored masked: TestAttemptMasksSecretHeaders
				}
				if a.RequestHeaders.Get(k) != r.header.Get(k) {
					t.Errorf("RequestHeaders[%s] = %q, sent %q", k, a.RequestHeaders.Get(k), r.header.Get(k))
				}
			}
			if a.RequestHeaders.Get("webhook-signature") != sig {
				t.Errorf("RequestHeaders signature = %q, sent %q", a.RequestHeaders.Get("webhook-signature"), sig)
			}
			if a.StatusCode != http.StatusAccepted || a.ResponseHeaders.Get("X-Receiver") != "seen" ||
				string(a.ResponseBody) != `{"ok":true}` || a.ResponseTruncated {
				t.Errorf("response = %d %v %q truncated=%v", a.StatusCode, a.ResponseHeaders, a.ResponseBody, a.ResponseTruncated)
			}
		})
	}
}

// Custom headers never replace what the protocol defines, whatever their
// spelling. The registry refuses such names; this is the second line.
func TestAttemptCustomHeadersCannotOverrideProtocol(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, nil)
	d := deliver.New(deliver.Config{Client: loopbackClient(), Version: "9", Now: fixedNow()})
	wh := testWebhook(srv.URL)
	wh.Headers = map[string]string{
		"webhook-id":        "forged",
		"Webhook-Timestamp": "1",
		"WEBHOOK-SIGNATURE": "v1,Zm9yZ2Vk",
		"webhook-event":     "forged.event",
		"hookline-hops":     "0",
		"user-agent":        "evil/1",
		"Content-Type":      "text/plain",
		"X-Kept":            "kept",
	}
	ev := testEvent()
	a, _ := d.Send(context.Background(), deliver.Task{Webhook: wh, Signer: mustSigner(t, secretA), Event: ev, Number: 1})
	r := <-got
	want := map[string]string{
		"webhook-id":        ev.ID,
		"webhook-timestamp": strconv.FormatInt(t0.Unix(), 10),
		"webhook-event":     ev.Type,
		"Hookline-Hops":     "1",
		"User-Agent":        "Hookline/9",
		"Content-Type":      "application/json",
		"X-Kept":            "kept",
	}
	for k, v := range want {
		if vals := r.header.Values(k); len(vals) != 1 || vals[0] != v {
			t.Errorf("header %s = %q, want [%q]", k, vals, v)
		}
	}
	if vals := r.header.Values("webhook-signature"); len(vals) != 1 || strings.Contains(vals[0], "Zm9yZ2Vk") {
		t.Errorf("webhook-signature = %q, want only Hookline's", vals)
	}
	v, _ := verify.New(secretA)
	v.Now = func() time.Time { return t0 }
	if err := v.Verify(r.header, r.body); err != nil {
		t.Errorf("verify: %v", err)
	}
	if !a.Success() {
		t.Errorf("attempt failed: %s %s", a.ErrorClass, a.Error)
	}
}

// A delivery carries its event's hop count plus one, so that a Hookline it
// publishes into can tell how often the event went round.
func TestAttemptCountsHop(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, nil)
	d := deliver.New(deliver.Config{Client: loopbackClient(), Version: "9", Now: fixedNow()})
	ev := testEvent()
	ev.Hops = 3
	a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL), Event: ev, Number: 1})
	r := <-got
	if h := r.header.Values(webhook.HopsHeader); len(h) != 1 || h[0] != "4" {
		t.Errorf("%s = %q, want [\"4\"]", webhook.HopsHeader, h)
	}
	if a.RequestHeaders.Get(webhook.HopsHeader) != "4" {
		t.Errorf("attempt record: %s = %q, want 4", webhook.HopsHeader, a.RequestHeaders.Get(webhook.HopsHeader))
	}
}

func TestAttemptResponseBodyCap(t *testing.T) {
	t.Parallel()
	const limit = 16
	tests := []struct {
		name          string
		size          int
		wantKept      int
		wantTruncated bool
	}{
		{name: "empty", size: 0, wantKept: 0},
		{name: "below cap", size: limit - 1, wantKept: limit - 1},
		{name: "exactly cap", size: limit, wantKept: limit},
		{name: "one past cap", size: limit + 1, wantKept: limit, wantTruncated: true},
		{name: "far past cap", size: 10 * limit, wantKept: limit, wantTruncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := strings.Repeat("abcdefghij", tt.size/10+1)[:tt.size]
			srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
			d := deliver.New(deliver.Config{Client: loopbackClient(), MaxResponseBody: limit})
			a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL), Event: testEvent(), Number: 1})
			if string(a.ResponseBody) != body[:tt.wantKept] || a.ResponseTruncated != tt.wantTruncated {
				t.Errorf("ResponseBody = %q truncated=%v, want %q truncated=%v",
					a.ResponseBody, a.ResponseTruncated, body[:tt.wantKept], tt.wantTruncated)
			}
			if !a.Success() {
				t.Errorf("attempt failed: %s %s", a.ErrorClass, a.Error)
			}
		})
	}
}

// A receiver streaming a huge body costs the cap, not the body: the rest is
// never read, so the attempt returns without downloading 50 MB.
func TestAttemptHugeResponseBody(t *testing.T) {
	t.Parallel()
	const total = 50 << 20
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(total))
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for sent := 0; sent < total; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up, as it should
			}
		}
	})
	d := deliver.New(deliver.Config{Client: loopbackClient(), MaxResponseBody: 1024})
	a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL), Event: testEvent(), Number: 1})
	if !a.ResponseTruncated || len(a.ResponseBody) != 1024 {
		t.Errorf("ResponseBody len %d truncated=%v, want 1024 true", len(a.ResponseBody), a.ResponseTruncated)
	}
	if !a.Success() {
		t.Errorf("attempt failed: %s %s", a.ErrorClass, a.Error)
	}
}

func TestAttemptStatusClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status       int
		location     string
		wantClass    webhook.ErrorClass
		wantSuccess  bool
		wantContains []string
	}{
		{status: 200, wantSuccess: true},
		{status: 201, wantSuccess: true},
		{status: 204, wantSuccess: true},
		{status: 299, wantSuccess: true},
		{status: 301, location: "/moved", wantClass: webhook.ErrClassRedirect, wantContains: []string{"301", "Location: /moved"}},
		{status: 302, location: "http://127.0.0.1:1/elsewhere", wantClass: webhook.ErrClassRedirect,
			wantContains: []string{"302", "Location: http://127.0.0.1:1/elsewhere"}},
		{status: 307, location: "/again", wantClass: webhook.ErrClassRedirect, wantContains: []string{"307", "/again"}},
		{status: 308, location: "/perm", wantClass: webhook.ErrClassRedirect, wantContains: []string{"308", "/perm"}},
		{status: 400, wantClass: webhook.ErrClassHTTPStatus, wantContains: []string{"400"}},
		{status: 404, wantClass: webhook.ErrClassHTTPStatus, wantContains: []string{"404"}},
		{status: 410, wantClass: webhook.ErrClassHTTPStatus, wantContains: []string{"410"}},
		{status: 429, wantClass: webhook.ErrClassHTTPStatus, wantContains: []string{"429"}},
		{status: 500, wantClass: webhook.ErrClassHTTPStatus, wantContains: []string{"500"}},
		{status: 503, wantClass: webhook.ErrClassHTTPStatus, wantContains: []string{"503"}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			srv, got := receiver(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.location != "" {
					w.Header().Set("Location", tt.location)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, "answer body")
			})
			d := deliver.New(deliver.Config{Client: loopbackClient()})
			a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL + "/in"), Event: testEvent(), Number: 1})
			if a.Success() != tt.wantSuccess || a.ErrorClass != tt.wantClass || a.StatusCode != tt.status {
				t.Errorf("attempt = success %v class %q status %d, want %v %q %d",
					a.Success(), a.ErrorClass, a.StatusCode, tt.wantSuccess, tt.wantClass, tt.status)
			}
			if tt.wantSuccess && a.Error != "" {
				t.Errorf("Error = %q, want none", a.Error)
			}
			for _, s := range tt.wantContains {
				if !strings.Contains(a.Error, s) {
					t.Errorf("Error = %q, want it to contain %q", a.Error, s)
				}
			}
			// The body is kept whatever the status: it is what users debug with.
			if tt.status != http.StatusNoContent && string(a.ResponseBody) != "answer body" {
				t.Errorf("ResponseBody = %q", a.ResponseBody)
			}
			<-got
			// A redirect is never followed: exactly one request arrived.
			select {
			case r := <-got:
				t.Errorf("a second request arrived (%s %v): redirect followed", r.method, r.header)
			default:
			}
		})
	}
}

// A redirect to another live server must not reach it.
func TestAttemptRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	target, hits := receiver(t, nil)
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/stolen", http.StatusFound)
	})
	d := deliver.New(deliver.Config{Client: loopbackClient()})
	a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL), Event: testEvent(), Number: 1})
	if a.ErrorClass != webhook.ErrClassRedirect || !strings.Contains(a.Error, target.URL+"/stolen") {
		t.Errorf("attempt = %q %q, want redirect naming the Location", a.ErrorClass, a.Error)
	}
	select {
	case <-hits:
		t.Error("the redirect target was requested")
	default:
	}
}

// staticResolver answers every lookup with addrs, or with err.
type staticResolver struct {
	addrs []netip.Addr
	err   error
}

func (r staticResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r.addrs, r.err
}

func TestAttemptTransportErrors(t *testing.T) {
	t.Parallel()
	type setup struct {
		client *http.Client
		url    string
		ctx    context.Context
		cfg    deliver.Config
	}
	tests := []struct {
		name        string
		setup       func(t *testing.T) setup
		wantClass   webhook.ErrorClass
		wantError   string // exact, when set
		wantPrefix  string
		minDuration float64
	}{
		{
			name: "closed port",
			setup: func(t *testing.T) setup {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close()
				return setup{client: loopbackClient(), url: "http://" + addr + "/"}
			},
			wantClass: webhook.ErrClassConnectionRefused, wantError: "connection refused",
		},
		{
			name: "receiver never answers",
			setup: func(t *testing.T) setup {
				release := make(chan struct{})
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-release:
					}
				}))
				t.Cleanup(srv.Close)
				t.Cleanup(func() { close(release) }) // runs before srv.Close
				return setup{client: loopbackClient(), url: srv.URL, cfg: deliver.Config{Timeout: 200 * time.Millisecond}}
			},
			wantClass: webhook.ErrClassTimeout, wantPrefix: "timed out: ", minDuration: 200,
		},
		{
			name: "loopback without AllowPrivate",
			setup: func(t *testing.T) setup {
				srv, got := receiver(t, nil)
				t.Cleanup(func() {
					select {
					case <-got:
						t.Error("a blocked destination was connected to")
					default:
					}
				})
				return setup{client: egress.NewClient(egress.Config{}), url: srv.URL}
			},
			wantClass: webhook.ErrClassBlocked, wantError: "destination not allowed",
		},
		{
			name: "host resolving to a private address",
			setup: func(t *testing.T) setup {
				c := egress.NewClient(egress.Config{Resolver: staticResolver{addrs: []netip.Addr{netip.MustParseAddr("10.1.2.3")}}})
				return setup{client: c, url: "http://internal.example.com/"}
			},
			wantClass: webhook.ErrClassBlocked, wantError: "destination not allowed",
		},
		{
			name: "unknown host",
			setup: func(t *testing.T) setup {
				c := egress.NewClient(egress.Config{Resolver: staticResolver{
					err: &net.DNSError{Err: "no such host", Name: "receiver.invalid", IsNotFound: true},
				}})
				return setup{client: c, url: "http://receiver.invalid/"}
			},
			wantClass: webhook.ErrClassDNS, wantPrefix: "DNS lookup failed: ",
		},
		{
			name: "untrusted certificate",
			setup: func(t *testing.T) setup {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
				srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
				srv.StartTLS()
				t.Cleanup(srv.Close)
				c := egress.NewClient(egress.Config{
					AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
					TLSConfig:    &tls.Config{RootCAs: x509.NewCertPool()},
				})
				return setup{client: c, url: srv.URL}
			},
			wantClass: webhook.ErrClassTLS, wantPrefix: "TLS error: ",
		},
		{
			name: "cancelled by shutdown",
			setup: func(t *testing.T) setup {
				srv, _ := receiver(t, nil)
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return setup{client: loopbackClient(), url: srv.URL, ctx: ctx}
			},
			wantClass: webhook.ErrClassInternal, wantError: "attempt cancelled (shutting down)",
		},
		{
			name: "unparseable url",
			setup: func(t *testing.T) setup {
				return setup{client: loopbackClient(), url: "http://[::1"}
			},
			wantClass: webhook.ErrClassInternal, wantPrefix: "invalid request: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.setup(t)
			cfg := s.cfg
			cfg.Client = s.client
			ctx := s.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			a, _ := deliver.New(cfg).Send(ctx, deliver.Task{
				Webhook: testWebhook(s.url), Signer: mustSigner(t, secretA), Event: testEvent(), Number: 1,
			})
			if a.ErrorClass != tt.wantClass {
				t.Errorf("ErrorClass = %q (%s), want %q", a.ErrorClass, a.Error, tt.wantClass)
			}
			if tt.wantError != "" && a.Error != tt.wantError {
				t.Errorf("Error = %q, want %q", a.Error, tt.wantError)
			}
			if !strings.HasPrefix(a.Error, tt.wantPrefix) {
				t.Errorf("Error = %q, want prefix %q", a.Error, tt.wantPrefix)
			}
			if a.Success() || a.StatusCode != 0 || a.ResponseBody != nil {
				t.Errorf("attempt = success %v status %d body %q, want a failure without response",
					a.Success(), a.StatusCode, a.ResponseBody)
			}
			if a.DurationMS < tt.minDuration {
				t.Errorf("DurationMS = %v, want at least %v", a.DurationMS, tt.minDuration)
			}
			// The request is logged even when it never left.
			if len(a.RequestBody) == 0 || a.RequestHeaders.Get("webhook-id") == "" {
				t.Errorf("request not recorded: %q %v", a.RequestBody, a.RequestHeaders)
			}
		})
	}
}

func TestAttemptTLSWithTrustedCA(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := egress.NewClient(egress.Config{
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		TLSConfig:    &tls.Config{RootCAs: pool},
	})
	a, _ := deliver.New(deliver.Config{Client: c}).Send(context.Background(),
		deliver.Task{Webhook: testWebhook(srv.URL), Signer: mustSigner(t, secretA), Event: testEvent(), Number: 1})
	if !a.Success() || a.StatusCode != http.StatusNoContent {
		t.Errorf("attempt = %d %q %q, want 204 success", a.StatusCode, a.ErrorClass, a.Error)
	}
}

// One Deliverer serves every worker at once.
func TestAttemptConcurrent(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, nil)
	d := deliver.New(deliver.Config{Client: loopbackClient()})
	signer := mustSigner(t, secretA)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ev := testEvent()
			ev.ID = fmt.Sprintf("evt_%d", i)
			a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL), Signer: signer, Event: ev, Number: 1})
			if !a.Success() {
				t.Errorf("attempt %d: %s %s", i, a.ErrorClass, a.Error)
			}
		})
	}
	wg.Wait()
	v, _ := verify.New(secretA)
	for range 8 {
		r := <-got
		if err := v.Verify(r.header, r.body); err != nil {
			t.Errorf("verify %s: %v", r.header.Get("webhook-id"), err)
		}
	}
}

// timeoutError is a net.Error that says it timed out.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	t.Parallel()
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://example.com/in", Err: err} }
	dial := func(err error) error { return post(&net.OpError{Op: "dial", Net: "tcp", Err: err}) }
	tests := []struct {
		name       string
		err        error
		wantClass  webhook.ErrorClass
		wantMsg    string // exact, when set
		wantPrefix string
	}{
		{name: "blocked", err: dial(egress.ErrBlocked), wantClass: webhook.ErrClassBlocked, wantMsg: "destination not allowed"},
		{name: "blocked bare", err: egress.ErrBlocked, wantClass: webhook.ErrClassBlocked, wantMsg: "destination not allowed"},
		{name: "deadline", err: post(context.DeadlineExceeded), wantClass: webhook.ErrClassTimeout, wantPrefix: "timed out: "},
		{name: "net timeout", err: dial(timeoutError{}), wantClass: webhook.ErrClassTimeout, wantPrefix: "timed out: "},
		{name: "os deadline", err: post(os.ErrDeadlineExceeded), wantClass: webhook.ErrClassTimeout, wantPrefix: "timed out: "},
		{
			name: "dns not found", err: dial(&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}),
			wantClass: webhook.ErrClassDNS, wantMsg: "DNS lookup failed: lookup x.invalid: no such host",
		},
		{
			name:      "refused",
			err:       dial(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}),
			wantClass: webhook.ErrClassConnectionRefused, wantMsg: "connection refused",
		},
		{
			name:      "unknown authority",
			err:       post(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}),
			wantClass: webhook.ErrClassTLS, wantPrefix: "TLS error: ",
		},
		{name: "bare unknown authority", err: post(x509.UnknownAuthorityError{}), wantClass: webhook.ErrClassTLS, wantPrefix: "TLS error: "},
		{name: "hostname", err: post(x509.HostnameError{Host: "example.com", Certificate: &x509.Certificate{}}), wantClass: webhook.ErrClassTLS, wantPrefix: "TLS error: "},
		{name: "record header", err: post(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), wantClass: webhook.ErrClassTLS, wantPrefix: "TLS error: "},
		{name: "alert", err: post(tls.AlertError(40)), wantClass: webhook.ErrClassTLS, wantPrefix: "TLS error: "},
		{name: "cancelled", err: post(context.Canceled), wantClass: webhook.ErrClassInternal, wantMsg: "attempt cancelled (shutting down)"},
		{name: "reset", err: dial(&os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}), wantClass: webhook.ErrClassConnection, wantPrefix: "connection error: "},
		{name: "eof", err: post(io.EOF), wantClass: webhook.ErrClassConnection, wantPrefix: "connection error: "},
		{name: "unexpected eof", err: post(io.ErrUnexpectedEOF), wantClass: webhook.ErrClassConnection, wantPrefix: "connection error: "},
		{name: "anything else", err: errors.New("boom"), wantClass: webhook.ErrClassConnection, wantMsg: "connection error: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			class, msg := deliver.Classify(tt.err)
			if class != tt.wantClass {
				t.Errorf("class = %q, want %q (%s)", class, tt.wantClass, msg)
			}
			if tt.wantMsg != "" && msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			if !strings.HasPrefix(msg, tt.wantPrefix) {
				t.Errorf("message = %q, want prefix %q", msg, tt.wantPrefix)
			}
		})
	}
}

func BenchmarkBody(b *testing.B) {
	ev := testEvent()
	data := make([]byte, 0, 1024)
	data = append(data, `{"pad":"`...)
	data = append(data, bytes.Repeat([]byte("x"), 1024-len(data)-2)...)
	data = append(data, `"}`...)
	ev.Data = data
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = webhook.Body(webhook.FormatEnvelope, ev)
	}
}

// A body that breaks off after the status line: the status decides, and
// for a 2xx the read failure stays in Error as a note.
func TestAttemptBodyBreaksOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status      int
		wantSuccess bool
		wantClass   webhook.ErrorClass
	}{
		{status: 200, wantSuccess: true},
		{status: 500, wantClass: webhook.ErrClassHTTPStatus},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Length: 100\r\n\r\npartial", tt.status, http.StatusText(tt.status))
				buf.Flush()
			})
			d := deliver.New(deliver.Config{Client: loopbackClient()})
			a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL), Event: testEvent(), Number: 1})
			if a.Success() != tt.wantSuccess || a.ErrorClass != tt.wantClass || a.StatusCode != tt.status {
				t.Errorf("attempt = success %v class %q status %d (%s)", a.Success(), a.ErrorClass, a.StatusCode, a.Error)
			}
			// A 2xx still counts as delivered; the break is kept as a note.
			if tt.wantSuccess && !strings.HasPrefix(a.Error, "reading response body: ") {
				t.Errorf("Error = %q, want the read failure noted", a.Error)
			}
			if string(a.ResponseBody) != "partial" {
				t.Errorf("ResponseBody = %q, want what arrived", a.ResponseBody)
			}
		})
	}
}

// A receiver that answers 200 at once and then drip-feeds its body
// within the time budget of the attempt (headers and body together): the
// attempt times out and says the endpoint is down, so the breaker sees
// it, instead of counting as delivered (issue 17).
func TestAttemptTricklingBodyTimesOut(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for range 1000 { // bounded: one byte per tick until the client gives up
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			rc.Flush()
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	t.Cleanup(func() { close(stop) })
	d := deliver.New(deliver.Config{Client: loopbackClient(), Timeout: 300 * time.Millisecond})
	a, v := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(srv.URL), Event: testEvent(), Number: 1})
	if a.Success() || a.ErrorClass != webhook.ErrClassTimeout || a.StatusCode != http.StatusOK {
		t.Fatalf("attempt = success %v class %q status %d (%s), want a timeout after the 200",
			a.Success(), a.ErrorClass, a.StatusCode, a.Error)
	}
	if v.Kind != deliver.Retry || !v.Down {
		t.Fatalf("verdict %+v, want a retry that says the endpoint is down", v)
	}
	if a.Answer != webhook.ErrClassTimeout.Answer() || !strings.Contains(a.Error, "200 OK") {
		t.Fatalf("answer %q, error %q", a.Answer, a.Error)
	}
}
