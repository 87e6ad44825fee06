package egress

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/webhook"
)

// MaxURLLength bounds a webhook URL in bytes. Receivers and proxies commonly
// cap request lines near this size, and it keeps stored rows small.
const MaxURLLength = 2048

// deniedPrefixes are the destinations a webhook must not reach unless the
// operator opens them with AllowPrivate. They cover the host itself, private
// networks, cloud metadata (169.254.169.254), shared CGNAT space, ranges
// reserved for documentation, benchmarking and multicast, and transition
// ranges (NAT64, 6to4, Teredo) whose real destination we cannot see.
var deniedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), // "this network"; 0.0.0.0 reaches localhost on Linux
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // CGNAT; IsGlobalUnicast says yes
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64: denied whatever IPv4 it embeds
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"), // includes Teredo 2001::/32
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"), // 6to4; IsGlobalUnicast says yes
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// globalUnicast6 is the only IPv6 space IANA allocates for global unicast.
// Anything outside it (for example the deprecated IPv4-compatible ::/96) is
// denied too, so a range missing from deniedPrefixes fails closed.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// normalize returns the form of addr the rules are written for: without an
// IPv6 zone (a zoned address never matches a netip.Prefix) and with an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) turned into plain IPv4, so that
// both spellings of one destination get one verdict.
func normalize(addr netip.Addr) netip.Addr {
	return addr.WithZone("").Unmap()
}

// Denied reports whether the default rules refuse a connection to addr. The
// invalid (zero) Addr is denied so that a bug upstream fails closed.
func Denied(addr netip.Addr) bool {
	a := normalize(addr)
	if !a.IsValid() {
		return true
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return true
	}
	for _, p := range deniedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Guard is the address policy of one deployment: the default rules of
// Denied minus the ranges the operator deliberately opened, such as
// 127.0.0.1/32 for local development. A nil *Guard opens nothing.
type Guard struct {
	allow []netip.Prefix
	// self are the addresses Hookline itself listens on and the host:port
	// of its public URL (SetSelf): never a destination, even where private
	// ranges are open, or a webhook to its own API would loop.
	self atomic.Pointer[selfAddrs]
}

type selfAddrs struct {
	addrs []netip.AddrPort
	hosts []string // lower-case host:port of the public URL
}

// SetSelf records the server's own listening addresses and public URL
// host:port (as "host:port"), which no delivery may reach.
func (g *Guard) SetSelf(addrs []netip.AddrPort, hosts []string) {
	s := &selfAddrs{hosts: hosts}
	for _, a := range addrs {
		s.addrs = append(s.addrs, netip.AddrPortFrom(normalize(a.Addr()), a.Port()))
	}
	g.self.Store(s)
}

// isSelf reports whether ap is one of the server's own addresses.
func (g *Guard) isSelf(ap netip.AddrPort) bool {
	if g == nil {
		return false
	}
	s := g.self.Load()
	if s == nil {
		return false
	}
	a := netip.AddrPortFrom(normalize(ap.Addr()), ap.Port())
	return slices.Contains(s.addrs, a)
}

// AllowedPort is Allowed for an address and port: also refused is the
// server's own listening address (SetSelf).
func (g *Guard) AllowedPort(ap netip.AddrPort) bool {
	return g.Allowed(ap.Addr()) && !g.isSelf(ap)
}

// NewGuard returns a Guard that also permits the allow ranges. An
// IPv4-mapped prefix such as ::ffff:127.0.0.1/128 is treated as its IPv4
// form; invalid prefixes open nothing.
func NewGuard(allow []netip.Prefix) *Guard {
	g := &Guard{}
	for _, p := range allow {
		if !p.IsValid() {
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g
}

// Allowed reports whether Hookline may connect to addr. The dialer asks this
// for every address it is about to connect to.
func (g *Guard) Allowed(addr netip.Addr) bool {
	a := normalize(addr)
	if !a.IsValid() {
		return false
	}
	if !Denied(a) {
		return true
	}
	if g == nil {
		return false
	}
	for _, p := range g.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// CheckURL validates a webhook URL's shape without touching the network: an
// absolute http or https URL of at most MaxURLLength bytes, with a host, no
// userinfo, no fragment (receivers never see one, so it is refused rather
// than silently dropped), a port in 1-65535 if any, an ASCII host (use the
// xn-- form for international names) and no numeric-host tricks such as
// 2130706433, 0x7f.1 or 127.1, which some resolvers and browsers read as IP
// addresses. An IP literal is accepted here whatever its range; the dialer
// decides at connect time, and Guard.CheckURL refuses blocked literals early.
//
// The error, if any, is a *webhook.Error with code EINVALID and field "url".
func CheckURL(raw string) error {
	_, err := parseURL(raw)
	return err
}

// CheckURL is the package-level CheckURL plus an early, clear refusal of
// destinations that are certain to be blocked at dial time: an IP literal in
// a range g does not allow, and localhost. Host names are not resolved, so
// the dial-time check remains the real guard. A refused destination is
// reported with code EUNPROCESSABLE and field "url".
func (g *Guard) CheckURL(raw string) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	refused := webhook.FieldError(webhook.EUNPROCESSABLE, "url",
		"points to a private or reserved address, which Hookline does not send to")
	loop := webhook.FieldError(webhook.EUNPROCESSABLE, "url",
		"points to this Hookline server itself: a delivery to its own API would publish again, and loop")
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if g != nil {
		if s := g.self.Load(); s != nil && slices.Contains(s.hosts, strings.ToLower(net.JoinHostPort(host, port))) {
			return loop
		}
	}
	if p, err := strconv.ParseUint(port, 10, 16); err == nil {
		if a, err := netip.ParseAddr(host); err == nil && g.isSelf(netip.AddrPortFrom(a, uint16(p))) {
			return loop
		}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(a) {
			return refused
		}
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		if !g.Allowed(netip.IPv6Loopback()) && !g.Allowed(netip.AddrFrom4([4]byte{127, 0, 0, 1})) {
			return refused
		}
	}
	return nil
}

func parseURL(raw string) (*url.URL, error) {
	invalid := func(format string, args ...any) error {
		return webhook.FieldError(webhook.EINVALID, "url", format, args...)
	}
	if raw == "" {
		return nil, invalid("is required")
	}
	if len(raw) > MaxURLLength {
		return nil, invalid("must be at most %d bytes long", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, invalid("is not a valid URL")
	}
	switch {
	case !u.IsAbs():
		return nil, invalid("must be an absolute URL starting with http:// or https://")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalid("scheme must be http or https")
	case u.Opaque != "" || u.Hostname() == "":
		return nil, invalid("must include a host")
	case u.User != nil:
		return nil, invalid("must not include a username or password")
	case strings.Contains(raw, "#"):
		return nil, invalid("must not include a fragment; receivers never see it")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, invalid("port must be between 1 and 65535")
		}
	}
	if msg := checkHost(u.Hostname(), strings.HasPrefix(u.Host, "[")); msg != "" {
		return nil, invalid("%s", msg)
	}
	return u, nil
}

// checkHost returns why host is unacceptable, or "" if it is fine.
// bracketed reports an IPv6 literal, which url.Parse has already parsed.
func checkHost(host string, bracketed bool) string {
	if bracketed {
		if strings.Contains(host, "%") {
			return "host must not include an IPv6 zone"
		}
		return ""
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= utf8.RuneSelf:
			return "host must be ASCII; use the xn-- form of an international domain name"
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_':
		default:
			return "host contains an invalid character"
		}
	}
	name := strings.TrimSuffix(host, ".") // one trailing dot marks a fully qualified name
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		return "host has an empty label"
	}
	if endsInNumber(host) {
		// Resolvers built on inet_aton and the WHATWG URL standard read
		// such a host as an IPv4 address in decimal, octal or hex parts.
		// Only the one canonical spelling is unambiguous.
		if a, err := netip.ParseAddr(host); err != nil || !a.Is4() || a.String() != host {
			return "host looks like a numeric IP address but is not a dotted-quad IPv4 address such as 192.0.2.1"
		}
	}
	return ""
}

// endsInNumber reports whether the last label of host is a decimal or 0x
// hexadecimal number, the WHATWG test for "this host is an IPv4 address".
func endsInNumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	digits, isHex := last, false
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		digits, isHex = last[2:], true
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		isDigit := '0' <= c && c <= '9'
		isHexLetter := 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		if !isDigit && !(isHex && isHexLetter) {
			return false
		}
	}
	return true
}
