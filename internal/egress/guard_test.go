package egress

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/webhook"
)

func TestDenied(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr   string
		denied bool
	}{
		{"0.0.0.0", true},
		{"0.255.255.255", true},
		{"10.1.2.3", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"169.254.169.254", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.0.0.8", true},
		{"192.0.2.1", true},
		{"192.88.99.1", true},
		{"192.168.1.1", true},
		{"198.18.0.1", true},
		{"198.19.255.255", true},
		{"198.51.100.7", true},
		{"203.0.113.9", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"240.0.0.1", true},
		{"255.255.255.255", true},
		{"::", true},
		{"::1", true},
		{"::7f00:1", true}, // IPv4-compatible, outside 2000::/3
		{"::ffff:127.0.0.1", true},
		{"::ffff:7f00:1", true},
		{"::ffff:10.0.0.1", true},
		{"64:ff9b::7f00:1", true},
		{"64:ff9b::808:808", true}, // NAT64 of a public address is still denied
		{"64:ff9b:1::1", true},
		{"100::1", true},
		{"2001::1", true},
		{"2001:1ff::1", true},
		{"2001:db8::1", true},
		{"2002:7f00:1::1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fec0::1", true},
		{"ff02::1", true},
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"93.184.216.34", false},
		{"::ffff:93.184.216.34", false},
		{"100.63.255.255", false},
		{"100.128.0.0", false},
		{"172.15.255.255", false},
		{"172.32.0.0", false},
		{"198.17.255.255", false},
		{"198.20.0.0", false},
		{"223.255.255.255", false},
		{"2001:200::1", false},
		{"2606:4700::1111", false},
		{"2a00:1450:4001::1", false},
	}
	for _, tt := range tests {
		addr := netip.MustParseAddr(tt.addr)
		if got := Denied(addr); got != tt.denied {
			t.Errorf("Denied(%s) = %v, want %v", tt.addr, got, tt.denied)
		}
		if addr.Is4() {
			mapped := netip.AddrFrom16(addr.As16())
			if got := Denied(mapped); got != tt.denied {
				t.Errorf("Denied(%s) = %v, want %v like %s", mapped, got, tt.denied, tt.addr)
			}
		}
	}
	if !Denied(netip.Addr{}) {
		t.Error("Denied(zero Addr) = false, want true")
	}
}

func TestGuardAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		allow []string
		addr  string
		want  bool
	}{
		{"public, no allow list", nil, "93.184.216.34", true},
		{"loopback, no allow list", nil, "127.0.0.1", false},
		{"opened exact address", []string{"127.0.0.1/32"}, "127.0.0.1", true},
		{"opened address, mapped form", []string{"127.0.0.1/32"}, "::ffff:127.0.0.1", true},
		{"neighbour of opened address", []string{"127.0.0.1/32"}, "127.0.0.2", false},
		{"other range stays closed", []string{"127.0.0.0/8"}, "10.0.0.1", false},
		{"IPv6 loopback not opened by IPv4 loopback", []string{"127.0.0.0/8"}, "::1", false},
		{"mapped prefix counts as IPv4", []string{"::ffff:10.0.0.0/104"}, "10.9.8.7", true},
		{"unmasked prefix", []string{"192.168.1.77/24"}, "192.168.1.1", true},
		{"zoned address", []string{"fe80::/10"}, "fe80::1%eth0", true},
		{"invalid prefix opens nothing", []string{""}, "10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var allow []netip.Prefix
			for _, s := range tt.allow {
				p, _ := netip.ParsePrefix(s) // "" gives the invalid Prefix on purpose
				allow = append(allow, p)
			}
			if got := NewGuard(allow).Allowed(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("Allowed(%s) with %v = %v, want %v", tt.addr, tt.allow, got, tt.want)
			}
		})
	}
	var nilGuard *Guard
	if nilGuard.Allowed(netip.MustParseAddr("127.0.0.1")) || !nilGuard.Allowed(netip.MustParseAddr("8.8.8.8")) {
		t.Error("nil *Guard must apply the default rules")
	}
	if NewGuard(nil).Allowed(netip.Addr{}) {
		t.Error("Allowed(zero Addr) = true, want false")
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw string
		ok  bool
	}{
		{"https://example.com/hooks", true},
		{"http://example.com:8080/in?source=hookline", true},
		{"HTTPS://Example.COM/", true},
		{"https://example.com./", true},
		{"https://hooks.my_team.example/", true},
		{"https://1password.com/", true},
		{"https://xn--mller-kva.de/", true},
		{"http://192.0.2.1/", true}, // private literals are the dialer's business
		{"http://127.0.0.1:8080/", true},
		{"http://[::1]:8080/", true},
		{"http://[2001:db8::1]/", true},
		{"https://example.com:65535/", true},

		{"", false},
		{"example.com/hooks", false},
		{"/hooks", false},
		{"//example.com/hooks", false},
		{"ftp://example.com/", false},
		{"file:///etc/passwd", false},
		{"gopher://127.0.0.1:6379/", false},
		{"javascript:alert(1)", false},
		{"http:example.com", false},
		{"http://", false},
		{"http:///hooks", false},
		{"http://:8080/", false},
		{"http://user:secret@example.com/", false},
		{"http://user@example.com/", false},
		{"https://example.com/#section", false},
		{"https://example.com/#", false},
		{"https://example.com/" + strings.Repeat("a", MaxURLLength), false},
		{"http://exa mple.com/", false},
		{"http://example.com:0/", false},
		{"http://example.com:65536/", false},
		{"http://example.com:http/", false},
		{"http://[fe80::1%25eth0]/", false},
		{"http://[1.2.3.4]/", false},
		{"http://müller.de/", false},
		{"http://ex*ample.com/", false},
		{"http://a..b/", false},
		{"http://.example.com/", false},
		{"http://example.com../", false},
		{"http://2130706433/", false},
		{"http://0x7f.1/", false},
		{"http://0x7f000001/", false},
		{"http://0X7F000001/", false},
		{"http://0177.0.0.1/", false},
		{"http://127.1/", false},
		{"http://017700000001/", false},
		{"http://0x7f.0.0.1/", false},
		{"http://127.0.0.1./", false},
		{"http://127.000.000.001/", false},
		{"http://1.2.3.4.5/", false},
		{"http://256.0.0.1/", false},
		{"http://example.0x/", false},
		{"http://example.123/", false},
	}
	for _, tt := range tests {
		err := CheckURL(tt.raw)
		if tt.ok {
			if err != nil {
				t.Errorf("CheckURL(%q) = %v, want nil", tt.raw, err)
			}
			continue
		}
		var e *webhook.Error
		if !errors.As(err, &e) || e.Code != webhook.EINVALID || e.Field != "url" {
			t.Errorf("CheckURL(%q) = %#v, want *webhook.Error{Code: invalid, Field: url}", tt.raw, err)
		}
	}
}

func TestGuardCheckURL(t *testing.T) {
	t.Parallel()
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name  string
		allow []netip.Prefix
		raw   string
		want  webhook.Code // "" means accepted
	}{
		{"public host name", nil, "https://example.com/hooks", ""},
		{"public literal", nil, "http://93.184.216.34/", ""},
		{"public IPv6 literal", nil, "http://[2606:4700::1111]/", ""},
		{"private literal", nil, "http://10.0.0.1/", webhook.EUNPROCESSABLE},
		{"metadata literal", nil, "http://169.254.169.254/latest/meta-data/", webhook.EUNPROCESSABLE},
		{"loopback literal", nil, "http://127.0.0.1:8080/", webhook.EUNPROCESSABLE},
		{"mapped loopback literal", nil, "http://[::ffff:127.0.0.1]/", webhook.EUNPROCESSABLE},
		{"NAT64 literal", nil, "http://[64:ff9b::7f00:1]/", webhook.EUNPROCESSABLE},
		{"localhost", nil, "http://localhost:8080/", webhook.EUNPROCESSABLE},
		{"localhost subdomain", nil, "http://app.LOCALHOST./", webhook.EUNPROCESSABLE},
		{"opened loopback literal", loopback, "http://127.0.0.1:8080/", ""},
		{"localhost with loopback opened", loopback, "http://localhost:8080/", ""},
		{"other private literal stays closed", loopback, "http://10.0.0.1/", webhook.EUNPROCESSABLE},
		{"malformed is still invalid", loopback, "http://0x7f.1/", webhook.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := NewGuard(tt.allow).CheckURL(tt.raw)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want nil", tt.raw, err)
				}
				return
			}
			var e *webhook.Error
			if !errors.As(err, &e) || e.Code != tt.want || e.Field != "url" {
				t.Fatalf("CheckURL(%q) = %#v, want code %s on field url", tt.raw, err, tt.want)
			}
		})
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hooks",
		"http://127.0.0.1:8080/",
		"http://[::ffff:127.0.0.1]/",
		"http://0x7f.1/",
		"http://user:pass@example.com/",
		"javascript:alert(1)",
		"http://[fe80::1%25eth0]/",
		"//example.com",
	} {
		f.Add(s)
	}
	guard := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	f.Fuzz(func(t *testing.T, raw string) {
		err := CheckURL(raw)
		guardErr := guard.CheckURL(raw)
		if err != nil {
			if guardErr == nil {
				t.Fatalf("Guard.CheckURL(%q) accepted what CheckURL refused: %v", raw, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("CheckURL(%q) accepted an unparsable URL: %v", raw, perr)
		}
		if !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("CheckURL(%q) accepted scheme %q", raw, u.Scheme)
		}
		if u.User != nil {
			t.Fatalf("CheckURL(%q) accepted userinfo", raw)
		}
		if u.Hostname() == "" {
			t.Fatalf("CheckURL(%q) accepted an empty host", raw)
		}
	})
}

func FuzzClassifier(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "10.0.0.1", "93.184.216.34", "::1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "2606:4700::1111"} {
		b := netip.MustParseAddr(s).As16()
		f.Add(b[:])
	}
	guard := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("fd00::/8")})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 4 {
			v4 := netip.AddrFrom4([4]byte(b[len(b)-4:]))
			mapped := netip.AddrFrom16(v4.As16())
			if Denied(v4) != Denied(mapped) {
				t.Fatalf("Denied(%s) = %v but Denied(%s) = %v", v4, Denied(v4), mapped, Denied(mapped))
			}
			if guard.Allowed(v4) != guard.Allowed(mapped) {
				t.Fatalf("Allowed(%s) = %v but Allowed(%s) = %v", v4, guard.Allowed(v4), mapped, guard.Allowed(mapped))
			}
			if !Denied(v4) && !guard.Allowed(v4) {
				t.Fatalf("%s passes the default rules but the guard refuses it", v4)
			}
		}
		if len(b) >= 16 {
			v6 := netip.AddrFrom16([16]byte(b[:16]))
			if v6.Is4In6() && Denied(v6) != Denied(v6.Unmap()) {
				t.Fatalf("Denied(%s) = %v but Denied(%s) = %v", v6, Denied(v6), v6.Unmap(), Denied(v6.Unmap()))
			}
			if !Denied(v6) && !guard.Allowed(v6) {
				t.Fatalf("%s passes the default rules but the guard refuses it", v6)
			}
		}
	})
}

// TestGuardRefusesSelf: the server's own addresses are refused even where
// private ranges are open, by URL and at dial time; other ports on
// loopback stay allowed.
func TestGuardRefusesSelf(t *testing.T) {
	g := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	g.SetSelf([]netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("[::1]:8080")},
		[]string{"localhost:8080", "hooks.example.com:443"})
	for _, tt := range []struct {
		url  string
		loop bool
	}{
		{"http://127.0.0.1:8080/api/v1/events", true},
		{"http://[::1]:8080/api/v1/events", true},
		{"http://localhost:8080/api/v1/events", true},
		{"https://hooks.example.com/api/v1/events", true},
		{"https://HOOKS.example.com:443/x", true},
		{"http://127.0.0.1:3000/webhooks", false},
		{"https://hooks.example.com:8443/x", false},
		{"https://receiver.example.com/x", false},
	} {
		err := g.CheckURL(tt.url)
		if got := err != nil && strings.Contains(err.Error(), "itself"); got != tt.loop {
			t.Errorf("CheckURL(%q) = %v, want loop refusal %v", tt.url, err, tt.loop)
		}
	}
	if g.AllowedPort(netip.MustParseAddrPort("127.0.0.1:8080")) || g.AllowedPort(netip.MustParseAddrPort("[::ffff:127.0.0.1]:8080")) {
		t.Error("dialing the server's own address is allowed")
	}
	if !g.AllowedPort(netip.MustParseAddrPort("127.0.0.1:3000")) {
		t.Error("another loopback port is refused")
	}
}
