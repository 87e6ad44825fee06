// Package egress is Hookline's only way out to the network: every delivery
// and test send uses the *http.Client from NewClient.
//
// Webhook URLs come from tenants, so the client defends against server-side
// request forgery. The guard runs inside the dialer, on the exact address
// about to be connected to, for every connection. Checking a URL when it is
// saved is not enough: DNS can answer differently at send time (rebinding),
// and redirects could point anywhere, so redirects are never followed.
// CheckURL and Guard.CheckURL only give early, clear errors at webhook
// creation.
package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// ErrBlocked is wrapped by the error of a request whose destination the
// guard refused. Its message is the same whatever rule matched, and a
// refused destination is never connected to, so the error cannot be used to
// map internal networks or probe for open ports.
var ErrBlocked = errors.New("egress: destination not allowed")

// Resolver looks up the addresses of a host name. *net.Resolver satisfies
// it; tests inject a fake so that no real DNS is involved.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Defaults for zero Config fields.
const (
	defaultConnectTimeout         = 5 * time.Second
	defaultTLSHandshakeTimeout    = 5 * time.Second
	defaultTimeout                = 15 * time.Second
	defaultMaxResponseHeaderBytes = 64 << 10
	defaultMaxIdleConnsPerHost    = 100
	defaultIdleConnTimeout        = 90 * time.Second

	// maxIdleConns caps idle connections across all hosts so that fanning
	// out to many receivers cannot exhaust file descriptors.
	maxIdleConns = 1000
)

// Config configures NewClient. The zero value is a safe production client.
// Zero or negative durations and sizes mean the documented default.
type Config struct {
	// AllowPrivate opens these ranges despite the default rules, and
	// nothing else: e.g. 127.0.0.1/32 for local development.
	AllowPrivate []netip.Prefix

	// Guard, when set, is the guard the client checks addresses with
	// instead of one made from AllowPrivate: share it with the registry so
	// both refuse the server's own address (Guard.SetSelf).
	Guard *Guard

	// Resolver resolves host names; nil means net.DefaultResolver. Every
	// address it returns is checked before it is dialed, and a lookup
	// error means no connection at all.
	Resolver Resolver

	// Proxy, when set, sends requests through an HTTP proxy; proxy
	// environment variables are never consulted. The proxy then resolves
	// and connects, so it must enforce egress policy itself: this client
	// only refuses IP-literal destinations it would block, and checks the
	// proxy's own address like any other (a proxy on loopback needs
	// AllowPrivate).
	Proxy func(*http.Request) (*url.URL, error)

	// TLSConfig is cloned for HTTPS connections; nil means the system
	// roots. Tests pass the pool of an httptest TLS server.
	TLSConfig *tls.Config

	// ConnectTimeout bounds each TCP connect. Default 5s.
	ConnectTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake. Default 5s.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers after the
	// request is written. Zero means only Timeout applies.
	ResponseHeaderTimeout time.Duration
	// Timeout bounds a whole request, including reading the body. Default
	// 15s. Callers usually also pass a context with a deadline.
	Timeout time.Duration

	// MaxResponseHeaderBytes bounds response headers so that a receiver
	// sending megabytes of them fails fast in bounded memory. Default 64 KiB.
	MaxResponseHeaderBytes int64

	// MaxIdleConnsPerHost and IdleConnTimeout tune connection reuse for
	// high throughput to a few receivers. Defaults 100 and 90s.
	MaxIdleConnsPerHost int
	IdleConnTimeout     time.Duration
}

func (c Config) withDefaults() Config {
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	setDefault(&c.ConnectTimeout, defaultConnectTimeout)
	setDefault(&c.TLSHandshakeTimeout, defaultTLSHandshakeTimeout)
	setDefault(&c.ResponseHeaderTimeout, 0)
	setDefault(&c.Timeout, defaultTimeout)
	setDefault(&c.MaxResponseHeaderBytes, defaultMaxResponseHeaderBytes)
	setDefault(&c.MaxIdleConnsPerHost, defaultMaxIdleConnsPerHost)
	setDefault(&c.IdleConnTimeout, defaultIdleConnTimeout)
	return c
}

func setDefault[T time.Duration | int64 | int](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// NewClient returns the guarded client. It never follows redirects: a 3xx
// response is returned as is, for the caller to record. Responses are not
// decompressed transparently, so a compressed body cannot expand beyond what
// the caller chooses to read.
func NewClient(cfg Config) *http.Client {
	return newClient(cfg, nil)
}

// dialFunc connects to an address the guard has already allowed, always
// "ip:port". Tests replace it to keep every connection on loopback.
type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

func newClient(cfg Config, dial dialFunc) *http.Client {
	cfg = cfg.withDefaults()
	guard := cfg.Guard
	if guard == nil {
		guard = NewGuard(cfg.AllowPrivate)
	}
	d := &dialer{guard: guard, resolver: cfg.Resolver, dial: dial}
	if d.dial == nil {
		nd := &net.Dialer{Timeout: cfg.ConnectTimeout, ControlContext: d.control}
		d.dial = nd.DialContext
	}
	t := &http.Transport{
		DialContext:            d.DialContext,
		TLSClientConfig:        cfg.TLSConfig.Clone(),
		TLSHandshakeTimeout:    cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout:  cfg.ResponseHeaderTimeout,
		MaxResponseHeaderBytes: cfg.MaxResponseHeaderBytes,
		DisableCompression:     true,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:        cfg.IdleConnTimeout,
	}
	if cfg.Proxy != nil {
		t.Proxy = d.proxy(cfg.Proxy)
	}
	return &http.Client{
		Transport: t,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// dialer resolves a host itself, checks every address, and connects only to
// addresses it checked, so the name cannot be re-resolved to something else
// between check and connect.
type dialer struct {
	guard    *Guard
	resolver Resolver
	dial     dialFunc
}

// DialContext connects to the first allowed address of address's host, in
// resolver order. Denied addresses are skipped, never dialed; if none is
// allowed the error wraps ErrBlocked.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	portNum, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	addrs, err := d.lookup(ctx, network, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var firstErr error
	for _, a := range addrs {
		if !d.guard.AllowedPort(netip.AddrPortFrom(a, uint16(portNum))) {
			continue
		}
		conn, err := d.dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		return nil, blocked(network)
	}
	return nil, firstErr
}

// lookup returns host's addresses: the host itself if it is an IP literal,
// otherwise the resolver's answer. It fails rather than return no address.
func (d *dialer) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	ipNetwork := "ip"
	switch network {
	case "tcp4":
		ipNetwork = "ip4"
	case "tcp6":
		ipNetwork = "ip6"
	}
	addrs, err := d.resolver.LookupNetIP(ctx, ipNetwork, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// control re-checks the socket's address just before connect. DialContext
// only ever dials checked addresses, so this is a backstop against a future
// change to it, not the primary check.
func (d *dialer) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !d.guard.AllowedPort(ap) {
		return ErrBlocked
	}
	return nil
}

// proxy wraps next so that an IP-literal destination the guard refuses is
// not handed to the proxy either.
func (d *dialer) proxy(next func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		if a, err := netip.ParseAddr(r.URL.Hostname()); err == nil && !d.guard.Allowed(a) {
			return nil, blocked("tcp")
		}
		return next(r)
	}
}

// blocked returns the one error for every refused destination. It carries no
// address, so it says nothing about which rule matched.
func blocked(network string) error {
	return &net.OpError{Op: "dial", Net: network, Err: ErrBlocked}
}

// DialFunc connects to network address "host:port".
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// NewDialer returns the guard's dial function for destinations that are
// not HTTP (message brokers): the same resolve-check-connect as the
// client's transport, so a broker host gets the same refusal of private
// and reserved addresses, and ConnectTimeout bounds each connect.
func NewDialer(cfg Config) DialFunc {
	cfg = cfg.withDefaults()
	d := &dialer{guard: NewGuard(cfg.AllowPrivate), resolver: cfg.Resolver}
	nd := &net.Dialer{Timeout: cfg.ConnectTimeout, ControlContext: d.control}
	d.dial = nd.DialContext
	return d.DialContext
}
