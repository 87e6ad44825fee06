package server

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"direct, no header", "203.0.113.5:1234", nil, proxies, "203.0.113.5"},
		{"untrusted peer's header ignored", "203.0.113.5:1234", []string{"1.2.3.4"}, proxies, "203.0.113.5"},
		{"no trusted proxies: header ignored", "10.0.0.1:1234", []string{"1.2.3.4"}, nil, "10.0.0.1"},
		{"one trusted proxy", "10.0.0.1:1234", []string{"198.51.100.7"}, proxies, "198.51.100.7"},
		{"spoofed left-most entry skipped", "10.0.0.1:1234", []string{"6.6.6.6, 198.51.100.7"}, proxies, "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.1:1234", []string{"198.51.100.7, 10.0.0.2"}, proxies, "198.51.100.7"},
		{"several header lines", "10.0.0.1:1234", []string{"198.51.100.7", "10.0.0.3"}, proxies, "198.51.100.7"},
		{"malformed hop", "10.0.0.1:1234", []string{"bogus"}, proxies, "10.0.0.1"},
		{"only proxies", "10.0.0.1:1234", []string{"10.0.0.9"}, proxies, "10.0.0.1"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, proxies, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, tt.trusted); got != tt.want {
				t.Fatalf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
