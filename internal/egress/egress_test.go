package egress

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// Every test connection stays on loopback. Tests that need a "public"
// destination resolve a name to a public-looking address with a fake
// resolver and replace the final dial (dialFunc) so that address is served
// by a loopback server; anything else the guard lets through lands on a
// sentinel that must stay untouched.

// publicAddr stands for a receiver on the internet. It is never dialed.
var publicAddr = netip.MustParseAddr("93.184.216.34")

// resolverFunc adapts a function to Resolver.
type resolverFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

func (f resolverFunc) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return f(ctx, network, host)
}

var _ Resolver = resolverFunc(nil)

// staticResolver answers from names and reports any other name as not found.
func staticResolver(names map[string][]netip.Addr) Resolver {
	return resolverFunc(func(_ context.Context, _, host string) ([]netip.Addr, error) {
		if addrs, ok := names[strings.ToLower(host)]; ok {
			return addrs, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	})
}

// sentinel is a loopback listener that no guarded request may reach. It
// closes every connection at once, so a request that wrongly gets through
// fails fast instead of hanging.
type sentinel struct {
	ln      net.Listener
	changed chan struct{} // poked after each accepted connection

	mu      sync.Mutex
	remotes []string // remote address of each accepted connection, in order
}

func newSentinel(t *testing.T) *sentinel {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sentinel{ln: ln, changed: make(chan struct{}, 1)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
			s.mu.Lock()
			s.remotes = append(s.remotes, c.RemoteAddr().String())
			s.mu.Unlock()
			select {
			case s.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *sentinel) addr() string { return s.ln.Addr().String() }

func (s *sentinel) port() string {
	_, port, _ := net.SplitHostPort(s.addr())
	return port
}

// assertUntouched fails t if anything but its own probe connected. The
// kernel queues connections in arrival order, so once the probe is accepted
// every earlier connection has been seen: no sleeping, no timing.
func (s *sentinel) assertUntouched(t *testing.T) {
	t.Helper()
	probe, err := net.Dial("tcp", s.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	for {
		s.mu.Lock()
		i := slices.Index(s.remotes, probe.LocalAddr().String())
		stray := slices.Clone(s.remotes[:max(i, 0)])
		s.mu.Unlock()
		if i >= 0 {
			if len(stray) > 0 {
				t.Errorf("sentinel received %d connection(s), want 0: %v", len(stray), stray)
			}
			return
		}
		<-s.changed
	}
}

// routedDial returns a dialFunc that connects the checked addresses in
// routes to the given loopback addresses and everything else to the
// sentinel, so a guard failure is counted there and never leaves loopback.
func routedDial(s *sentinel, routes map[string]string) dialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		to, ok := routes[address]
		if !ok {
			to = s.addr()
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", to)
	}
}

func get(t *testing.T, c *http.Client, rawURL string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

// wantBlocked checks err wraps ErrBlocked with the one generic message.
func wantBlocked(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	var uerr *url.Error
	if !errors.As(err, &uerr) || uerr.Err.Error() != blocked("tcp").Error() {
		t.Fatalf("err = %v, want the generic %q", err, blocked("tcp"))
	}
}

func okHandler(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

func TestSSRFTargets(t *testing.T) {
	t.Parallel()
	sentinel := newSentinel(t)

	// The redirector listens on 127.0.0.2, the one address the client
	// opens, and sends clients to the sentinel on 127.0.0.1 and to a
	// "public" name that the test dial routes to the sentinel.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-sentinel":
			http.Redirect(w, r, "http://"+sentinel.addr()+"/", http.StatusFound)
		case "/to-public":
			http.Redirect(w, r, "http://public.test:"+sentinel.port()+"/", http.StatusTemporaryRedirect)
		}
	}))
	redirector.Listener = ln
	redirector.Start()
	t.Cleanup(redirector.Close)
	redirectorAddr := ln.Addr().String()

	loopback := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	names := map[string][]netip.Addr{
		"localhost":     {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
		"loopback.test": loopback,
		"metadata.test": {netip.MustParseAddr("169.254.169.254")},
		"private.test":  {netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")},
		"mapped.test":   {netip.MustParseAddr("::ffff:127.0.0.1")},
		"public.test":   {publicAddr},
	}
	// Resolvers built on inet_aton read numeric-host tricks as 127.0.0.1;
	// the fake does too, so the dial-time check must catch them as well.
	for _, trick := range []string{"2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "127.1", "017700000001", "127.0.0.1."} {
		names[trick] = loopback
	}
	client := newClient(Config{
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
		Resolver:     staticResolver(names),
	}, routedDial(sentinel, map[string]string{redirectorAddr: redirectorAddr}))
	guard := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")})

	tests := []struct {
		name string
		url  string // PORT is the sentinel's port, REDIRECTOR the redirector's host:port
		// early is the code Guard.CheckURL refuses the URL with; "" if it
		// cannot tell without resolving.
		early    webhook.Code
		redirect int // expected 3xx status; 0 means the dial must be blocked
	}{
		{"this network", "http://0.0.0.0:PORT/", webhook.EUNPROCESSABLE, 0},
		{"private 10/8", "http://10.0.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"CGNAT", "http://100.64.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"loopback sentinel", "http://127.0.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"loopback high", "http://127.255.255.254:PORT/", webhook.EUNPROCESSABLE, 0},
		{"cloud metadata", "http://169.254.169.254:PORT/latest/meta-data/", webhook.EUNPROCESSABLE, 0},
		{"private 172.16/12", "http://172.16.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"IETF protocol assignments", "http://192.0.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"TEST-NET-1", "http://192.0.2.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"6to4 relay anycast", "http://192.88.99.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"private 192.168/16", "http://192.168.1.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"benchmarking", "http://198.18.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"TEST-NET-2", "http://198.51.100.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"TEST-NET-3", "http://203.0.113.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"multicast", "http://224.0.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"reserved", "http://240.0.0.1:PORT/", webhook.EUNPROCESSABLE, 0},
		{"broadcast", "http://255.255.255.255:PORT/", webhook.EUNPROCESSABLE, 0},
		{"IPv6 unspecified", "http://[::]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"IPv6 loopback", "http://[::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"mapped dotted", "http://[::ffff:127.0.0.1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"mapped hex", "http://[::ffff:7f00:1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"mapped metadata", "http://[::ffff:a9fe:a9fe]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"NAT64 of loopback", "http://[64:ff9b::7f00:1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"NAT64 of public", "http://[64:ff9b::5db8:d822]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"local NAT64", "http://[64:ff9b:1::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"discard", "http://[100::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"Teredo", "http://[2001::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"IPv6 documentation", "http://[2001:db8::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"6to4 of loopback", "http://[2002:7f00:1::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"unique local", "http://[fd00::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"link-local", "http://[fe80::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"link-local with zone", "http://[fe80::1%25lo]:PORT/", webhook.EINVALID, 0},
		{"site-local", "http://[fec0::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"IPv6 multicast", "http://[ff02::1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"IPv4-compatible", "http://[::7f00:1]:PORT/", webhook.EUNPROCESSABLE, 0},
		{"localhost", "http://localhost:PORT/", webhook.EUNPROCESSABLE, 0},
		{"name resolving to loopback", "http://loopback.test:PORT/", "", 0},
		{"name resolving to metadata", "http://metadata.test:PORT/", "", 0},
		{"name resolving to private only", "http://private.test:PORT/", "", 0},
		{"name resolving to mapped loopback", "http://mapped.test:PORT/", "", 0},
		{"decimal host", "http://2130706433:PORT/", webhook.EINVALID, 0},
		{"hex parts", "http://0x7f.1:PORT/", webhook.EINVALID, 0},
		{"hex host", "http://0x7f000001:PORT/", webhook.EINVALID, 0},
		{"octal part", "http://0177.0.0.1:PORT/", webhook.EINVALID, 0},
		{"short form", "http://127.1:PORT/", webhook.EINVALID, 0},
		{"octal host", "http://017700000001:PORT/", webhook.EINVALID, 0},
		{"trailing dot literal", "http://127.0.0.1.:PORT/", webhook.EINVALID, 0},
		{"redirect to sentinel", "http://REDIRECTOR/to-sentinel", "", http.StatusFound},
		{"redirect to public name", "http://REDIRECTOR/to-public", "", http.StatusTemporaryRedirect},
	}
	t.Run("targets", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				raw := strings.NewReplacer("PORT", sentinel.port(), "REDIRECTOR", redirectorAddr).Replace(tt.url)

				err := guard.CheckURL(raw)
				var e *webhook.Error
				switch {
				case tt.early == "" && err != nil:
					t.Errorf("Guard.CheckURL(%q) = %v, want nil", raw, err)
				case tt.early != "" && (!errors.As(err, &e) || e.Code != tt.early):
					t.Errorf("Guard.CheckURL(%q) = %v, want code %s", raw, err, tt.early)
				}

				resp, err := get(t, client, raw)
				if tt.redirect == 0 {
					wantBlocked(t, err)
					return
				}
				if err != nil {
					t.Fatalf("GET %s: %v, want the redirect response itself", raw, err)
				}
				if resp.StatusCode != tt.redirect || resp.Header.Get("Location") == "" {
					t.Fatalf("GET %s = %d Location %q, want %d with a Location", raw, resp.StatusCode, resp.Header.Get("Location"), tt.redirect)
				}
			})
		}
	})
	sentinel.assertUntouched(t)
}

func TestDNSRebinding(t *testing.T) {
	t.Parallel()
	loopback := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name    string
		answers [][]netip.Addr // the resolver's answer to each successive lookup
		want    []bool         // per request: true if it must succeed, false if blocked
	}{
		{"public then loopback", [][]netip.Addr{{publicAddr}, {loopback}}, []bool{true, false}},
		{"loopback then public", [][]netip.Addr{{loopback}, {publicAddr}}, []bool{false, true}},
		{"loopback listed first", [][]netip.Addr{{loopback, publicAddr}}, []bool{true}},
		{"mapped loopback beside public", [][]netip.Addr{{netip.MustParseAddr("::ffff:127.0.0.1"), publicAddr}}, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sentinel := newSentinel(t)
			healthy := httptest.NewServer(http.HandlerFunc(okHandler))
			t.Cleanup(healthy.Close)

			var mu sync.Mutex
			lookups := 0
			resolver := resolverFunc(func(context.Context, string, string) ([]netip.Addr, error) {
				mu.Lock()
				defer mu.Unlock()
				answer := tt.answers[min(lookups, len(tt.answers)-1)]
				lookups++
				return answer, nil
			})
			publicHostPort := netip.AddrPortFrom(publicAddr, 80).String()
			client := newClient(Config{Resolver: resolver},
				routedDial(sentinel, map[string]string{publicHostPort: healthy.Listener.Addr().String()}))

			for i, wantOK := range tt.want {
				client.CloseIdleConnections() // every request must dial afresh
				resp, err := get(t, client, "http://rebind.test/")
				if !wantOK {
					wantBlocked(t, err)
					continue
				}
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if body, _ := io.ReadAll(resp.Body); string(body) != "ok" {
					t.Fatalf("request %d: body %q, want the healthy server's", i, body)
				}
			}
			sentinel.assertUntouched(t)
		})
	}
}

func TestResolverFailureFailsClosed(t *testing.T) {
	t.Parallel()
	dnsErr := &net.DNSError{Err: "server misbehaving", Name: "flaky.test", IsTemporary: true}
	tests := []struct {
		name     string
		resolver Resolver
	}{
		{"error", resolverFunc(func(context.Context, string, string) ([]netip.Addr, error) { return nil, dnsErr })},
		{"error with addresses", resolverFunc(func(context.Context, string, string) ([]netip.Addr, error) {
			return []netip.Addr{publicAddr}, dnsErr
		})},
		{"empty answer", resolverFunc(func(context.Context, string, string) ([]netip.Addr, error) { return nil, nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var dialed atomic.Bool
			client := newClient(Config{Resolver: tt.resolver}, func(context.Context, string, string) (net.Conn, error) {
				dialed.Store(true)
				return nil, errors.New("must not dial")
			})
			_, err := get(t, client, "http://flaky.test/")
			var de *net.DNSError
			if !errors.As(err, &de) || errors.Is(err, ErrBlocked) {
				t.Fatalf("err = %v, want a *net.DNSError that is not ErrBlocked", err)
			}
			if dialed.Load() {
				t.Fatal("dialed despite the resolver failing")
			}
		})
	}
}

// TestRealDialer uses the production dial path, against loopback only.
func TestRealDialer(t *testing.T) {
	t.Parallel()
	sentinel := newSentinel(t)
	healthy := httptest.NewServer(http.HandlerFunc(okHandler))
	t.Cleanup(healthy.Close)

	strict := NewClient(Config{Resolver: staticResolver(nil)})
	for _, raw := range []string{
		"http://" + sentinel.addr() + "/",
		"http://[::ffff:127.0.0.1]:" + sentinel.port() + "/",
		healthy.URL,
	} {
		_, err := get(t, strict, raw)
		wantBlocked(t, err)
	}
	sentinel.assertUntouched(t)

	local := NewClient(Config{
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Resolver:     staticResolver(nil),
	})
	resp, err := get(t, local, healthy.URL)
	if err != nil {
		t.Fatalf("GET %s with 127.0.0.0/8 allowed: %v", healthy.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
}

func TestControl(t *testing.T) {
	t.Parallel()
	d := &dialer{guard: NewGuard(nil)}
	tests := []struct {
		address string
		want    error
	}{
		{"93.184.216.34:443", nil},
		{"[2606:4700::1111]:443", nil},
		{"127.0.0.1:80", ErrBlocked},
		{"[::ffff:127.0.0.1]:80", ErrBlocked},
		{"[fe80::1%lo]:80", ErrBlocked},
		{"not-an-address:80", ErrBlocked},
	}
	for _, tt := range tests {
		if err := d.control(t.Context(), "tcp", tt.address, nil); !errors.Is(err, tt.want) {
			t.Errorf("control(%q) = %v, want %v", tt.address, err, tt.want)
		}
	}
}

func TestResponseHandling(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, strings.Repeat("0", 1<<20))
	zw.Close()
	var acceptEncoding string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge-headers":
			w.Header().Set("X-Filler", strings.Repeat("a", 1<<20))
		case "/gzip":
			mu.Lock()
			acceptEncoding = r.Header.Get("Accept-Encoding")
			mu.Unlock()
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}
	}))
	t.Cleanup(srv.Close)
	client := NewClient(Config{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})

	t.Run("header limit", func(t *testing.T) {
		if _, err := get(t, client, srv.URL+"/huge-headers"); err == nil {
			t.Fatal("1 MiB of response headers accepted, want an error")
		}
	})
	t.Run("no transparent decompression", func(t *testing.T) {
		resp, err := get(t, client, srv.URL+"/gzip")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Uncompressed || !bytes.Equal(body, gz.Bytes()) {
			t.Fatalf("got %d decompressed=%v bytes, want the %d compressed bytes as sent", len(body), resp.Uncompressed, gz.Len())
		}
		mu.Lock()
		defer mu.Unlock()
		if acceptEncoding != "" {
			t.Fatalf("Accept-Encoding %q sent, want none", acceptEncoding)
		}
	})
}

// TestProxyFromEnvironmentIgnored cannot run in parallel: it sets HTTP_PROXY.
func TestProxyFromEnvironmentIgnored(t *testing.T) {
	sentinel := newSentinel(t)
	healthy := httptest.NewServer(http.HandlerFunc(okHandler))
	t.Cleanup(healthy.Close)
	t.Setenv("HTTP_PROXY", "http://"+sentinel.addr())

	client := newClient(Config{
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Resolver:     staticResolver(map[string][]netip.Addr{"public.test": {publicAddr}}),
	}, routedDial(sentinel, map[string]string{"93.184.216.34:80": healthy.Listener.Addr().String()}))
	if _, err := get(t, client, "http://public.test/"); err != nil {
		t.Fatal(err)
	}
	sentinel.assertUntouched(t)
}

func TestConfigProxy(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		io.WriteString(w, "via proxy")
	}))
	t.Cleanup(proxy.Close)
	proxyURL, _ := url.Parse(proxy.URL)
	client := NewClient(Config{
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, // the proxy's own address
		Resolver:     staticResolver(nil),                                  // the proxy resolves, not us
		Proxy:        http.ProxyURL(proxyURL),
	})

	resp, err := get(t, client, "http://public.test/hook")
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(resp.Body); string(body) != "via proxy" {
		t.Fatalf("body %q, want it served by the proxy", body)
	}
	_, err = get(t, client, "http://169.254.169.254/latest/meta-data/")
	wantBlocked(t, err)

	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "http://public.test/hook" {
		t.Fatalf("proxy saw %v, want only http://public.test/hook", seen)
	}
}

func TestNewClientSettings(t *testing.T) {
	t.Parallel()
	def := NewClient(Config{})
	custom := NewClient(Config{
		TLSHandshakeTimeout:    2 * time.Second,
		ResponseHeaderTimeout:  3 * time.Second,
		Timeout:                4 * time.Second,
		MaxResponseHeaderBytes: 1 << 10,
		MaxIdleConnsPerHost:    7,
		IdleConnTimeout:        5 * time.Second,
	})
	dt, ct := def.Transport.(*http.Transport), custom.Transport.(*http.Transport)
	tests := []struct {
		name      string
		got, want any
	}{
		{"proxy", dt.Proxy == nil, true},
		{"compression", dt.DisableCompression, true},
		{"HTTP/2", dt.ForceAttemptHTTP2, true},
		{"redirect policy", def.CheckRedirect(nil, nil), http.ErrUseLastResponse},
		{"timeout", def.Timeout.String(), "15s"},
		{"TLS handshake", dt.TLSHandshakeTimeout.String(), "5s"},
		{"response header timeout", dt.ResponseHeaderTimeout.String(), "0s"},
		{"header bytes", dt.MaxResponseHeaderBytes, int64(64 << 10)},
		{"idle per host", dt.MaxIdleConnsPerHost, 100},
		{"idle timeout", dt.IdleConnTimeout.String(), "1m30s"},
		{"custom timeout", custom.Timeout.String(), "4s"},
		{"custom TLS handshake", ct.TLSHandshakeTimeout.String(), "2s"},
		{"custom response header timeout", ct.ResponseHeaderTimeout.String(), "3s"},
		{"custom header bytes", ct.MaxResponseHeaderBytes, int64(1 << 10)},
		{"custom idle per host", ct.MaxIdleConnsPerHost, 7},
		{"custom idle timeout", ct.IdleConnTimeout.String(), "5s"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
