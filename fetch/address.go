package fetch

import (
	"net/netip"
)

// specialRange is a block of addresses that is not a public internet host.
type specialRange struct {
	prefix netip.Prefix
	class  string
}

// specialRanges is read-only. Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries
// (RFC 6890 and successors). Ranges there that are globally reachable by design but never serve
// web content (AS112, 6to4 relays, AMT, ORCHID) are blocked too: refusing them costs nothing.
var specialRanges = []specialRange{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8)`},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1)"},
	{netip.MustParsePrefix("192.31.196.0/24"), "AS112"},
	{netip.MustParsePrefix("192.52.193.0/24"), "AMT"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("192.175.48.0/24"), "AS112"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},

	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (incl. Teredo)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("5f00::/16"), "segment routing (SRv6)"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var (
	// nat64 is the well-known NAT64 prefix: a DNS64 resolver on an IPv6-only network maps every
	// IPv4-only host into it, so it is judged by the IPv4 address it carries.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// globalUnicast6 is the only IPv6 block IANA allocates for public unicast.
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
)

// addressClass returns why addr is not a public internet address ("loopback", "link-local",
// ...), or "" if it is one.
func addressClass(addr netip.Addr) string {
	addr = addr.WithZone("")
	if addr.Is4In6() {
		// ::ffff:127.0.0.1 reaches 127.0.0.1 on a dual-stack socket.
		return mapped(addressClass(addr.Unmap()), "IPv4-mapped")
	}
	if nat64.Contains(addr) {
		b := addr.As16()
		return mapped(addressClass(netip.AddrFrom4([4]byte(b[12:]))), "NAT64")
	}
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsUnspecified():
		return "unspecified"
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, r := range specialRanges {
		if r.prefix.Contains(addr) {
			return r.class
		}
	}
	if addr.Is6() && !globalUnicast6.Contains(addr) {
		return "reserved IPv6 (outside 2000::/3)"
	}
	return ""
}

func mapped(class, how string) string {
	if class == "" {
		return ""
	}
	return how + " " + class
}
