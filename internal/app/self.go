package app

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// selfAddresses are the addresses a delivery must never reach because
// they are this server: its listening address (every local interface's
// address, and loopback, when it listens on all of them), and the
// host:port of its public URL.
func selfAddresses(listen net.Addr, publicURL string) ([]netip.AddrPort, []string) {
	var addrs []netip.AddrPort
	var hosts []string
	ap, err := netip.ParseAddrPort(listen.String())
	if err == nil {
		port := ap.Port()
		ips := []netip.Addr{ap.Addr()}
		if ap.Addr().IsUnspecified() {
			ips = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
			if ifAddrs, err := net.InterfaceAddrs(); err == nil {
				for _, ia := range ifAddrs {
					if p, err := netip.ParsePrefix(ia.String()); err == nil {
						ips = append(ips, p.Addr())
					}
				}
			}
		}
		for _, ip := range ips {
			addrs = append(addrs, netip.AddrPortFrom(ip.Unmap(), port))
			hosts = append(hosts, strings.ToLower(net.JoinHostPort(ip.Unmap().String(), strconv.Itoa(int(port)))))
		}
		if ap.Addr().IsLoopback() || ap.Addr().IsUnspecified() {
			hosts = append(hosts, net.JoinHostPort("localhost", strconv.Itoa(int(port))))
		}
	}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		hosts = append(hosts, strings.ToLower(net.JoinHostPort(u.Hostname(), port)))
	}
	return addrs, hosts
}
