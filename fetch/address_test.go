package fetch

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestAddressClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr  string
		class string // "" = public
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private (unique local)"},
		{"fd12:3456::1", "private (unique local)"},
		{"169.254.169.254", "link-local"},
		{"169.254.0.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"100.64.0.1", "shared address space (CGNAT)"},
		{"100.127.255.255", "shared address space (CGNAT)"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", `"this network" (0.0.0.0/8)`},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved (240.0.0.0/4)"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"192.0.2.1", "documentation (TEST-NET-1)"},
		{"198.51.100.7", "documentation (TEST-NET-2)"},
		{"203.0.113.9", "documentation (TEST-NET-3)"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},
		{"192.0.0.8", "IETF protocol assignments"},
		{"192.88.99.1", "6to4 relay anycast"},
		{"2002:7f00:1::1", "6to4"},
		{"2001::1", "IETF protocol assignments (incl. Teredo)"},
		{"fec0::1", "site-local"},
		{"100::1", "discard-only"},
		{"64:ff9b:1::1", "local-use NAT64"},
		{"::ffff:127.0.0.1", "IPv4-mapped loopback"},
		{"::ffff:169.254.169.254", "IPv4-mapped link-local"},
		{"::ffff:10.1.2.3", "IPv4-mapped private"},
		{"64:ff9b::7f00:1", "NAT64 loopback"},
		{"64:ff9b::a9fe:a9fe", "NAT64 link-local"},
		{"::7f00:1", "reserved IPv6 (outside 2000::/3)"}, // IPv4-compatible, deprecated
		{"4000::1", "reserved IPv6 (outside 2000::/3)"},

		// Public addresses, including the edges of blocked ranges.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"9.255.255.255", ""},
		{"11.0.0.0", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"169.253.255.255", ""},
		{"192.167.255.255", ""},
		{"198.17.255.255", ""},
		{"198.20.0.0", ""},
		{"223.255.255.255", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4001:80b::200e", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8: how IPv6-only networks reach IPv4 hosts
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			if got := addressClass(netip.MustParseAddr(tt.addr)); got != tt.class {
				t.Errorf("addressClass(%s) = %q, want %q", tt.addr, got, tt.class)
			}
		})
	}
}

func TestAddressClassInvalid(t *testing.T) {
	t.Parallel()
	if got := addressClass(netip.Addr{}); got == "" {
		t.Error("the zero Addr is classed as public")
	}
}

func TestControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		network, address string
		exempt           []netip.Addr
		wantMsg          string // "" = allowed
	}{
		{"tcp4", "8.8.8.8:443", nil, ""},
		{"tcp6", "[2606:4700:4700::1111]:80", nil, ""},
		{"tcp4", "169.254.169.254:80", nil, "blocked address: 169.254.169.254 is link-local"},
		{"tcp4", "127.0.0.1:8080", nil, "blocked address: 127.0.0.1 is loopback"},
		{"tcp6", "[::1]:8080", nil, "blocked address: ::1 is loopback"},
		{"tcp6", "[fe80::1%eth0]:80", nil, "is link-local"},
		{"tcp6", "[::ffff:127.0.0.1]:80", nil, "::ffff:127.0.0.1 is IPv4-mapped loopback"},
		{"tcp4", "127.0.0.1:8080", []netip.Addr{loopback4}, ""},
		{"tcp4", "127.0.0.2:8080", []netip.Addr{loopback4}, "127.0.0.2 is loopback"},
		{"tcp4", "169.254.169.254:80", []netip.Addr{loopback4}, "169.254.169.254 is link-local"},
		{"udp4", "8.8.8.8:53", nil, "network udp4"},
		{"unix", "/run/docker.sock", nil, "network unix"},
		{"tcp4", "not-an-address", nil, "unparsable address"},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.address, func(t *testing.T) {
			t.Parallel()
			f := newFetcherT(t, DefaultConfig(), withExempt(tt.exempt...))
			err := f.control(tt.network, tt.address, nil)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("control refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBlockedAddress) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("control error = %v, want ErrBlockedAddress saying %q", err, tt.wantMsg)
			}
		})
	}
}
