package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// notGlobal are the special-purpose blocks of the IANA registries that are
// not globally reachable, beyond those netip's predicates know (loopback,
// private, link-local, multicast, unspecified).
var notGlobal = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

// Prefixes whose addresses carry an IPv4 address, which is checked too.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// IsPublicAddr reports whether a is a globally reachable unicast address:
// not loopback, private (RFC 1918, unique local), link-local, multicast,
// unspecified, carrier-grade NAT, documentation, benchmarking or reserved;
// an IPv4-mapped, NAT64 or 6to4 address is judged by the IPv4 address it
// carries.
func IsPublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return false
	}
	for _, p := range notGlobal {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return IsPublicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return IsPublicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// checkDial is the Control of the connections of PublicOnly requests: it
// sees the address actually dialled, after name resolution, so that a host
// name that resolves (or is made to resolve, between two lookups) to a
// private address is refused.
func (f *Fetcher) checkDial(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s is not an IP address", ErrForbiddenAddress, address)
	}
	if !f.IsPublic(ap.Addr()) {
		return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// publicProxy is the proxy of PublicOnly requests: the environment's, as
// for any request. Through a proxy the connection goes to the proxy, so the
// target is checked here instead, by its literal address or by resolving
// its name. A name that does not resolve here is left to the proxy, which
// may see a DNS that this host does not.
func (f *Fetcher) publicProxy(req *http.Request) (*url.URL, error) {
	p, err := http.ProxyFromEnvironment(req)
	if p == nil || err != nil {
		return p, err
	}
	host := req.URL.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
		addrs, _ = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		cancel()
	}
	for _, a := range addrs {
		if !f.IsPublic(a) {
			return nil, fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, a)
		}
	}
	f.proxies.Store(proxyAddr(p), true)
	return p, nil
}

// proxyAddr is the host:port a transport dials for proxy p.
func proxyAddr(p *url.URL) string {
	port := p.Port()
	if port == "" {
		switch p.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(p.Hostname(), port)
}
