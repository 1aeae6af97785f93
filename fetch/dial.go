package fetch

import (
	"fmt"
	"net/netip"
	"syscall"
)

// control runs after DNS resolution and before connect, once per address tried, so it sees the
// address actually used: a name resolving to 127.0.0.1 and a name rebound between a check and
// the dial are both caught here, and a redirect's host needs no separate check.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrBlockedAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrBlockedAddress, address)
	}
	addr := ap.Addr()
	if f.exempt[addr.WithZone("")] {
		return nil
	}
	if class := addressClass(addr); class != "" {
		return &blockedError{addr: addr, class: class}
	}
	return nil
}

// blockedError is a connection refused because of the address it would reach.
type blockedError struct {
	addr  netip.Addr
	class string // "loopback", "private", …
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("%s: %s is %s", ErrBlockedAddress, e.addr, e.class)
}

func (e *blockedError) Unwrap() error { return ErrBlockedAddress }

// forHost is the error a photo records when host was refused: the address and its class when
// host is that address (the URL says it anyway), and neither when host is a name. A recorded
// reason is shown to whoever submitted the URL, and naming what an internal name resolves to
// would answer DNS questions about the private network for anyone who asks.
func (e *blockedError) forHost(host string) error {
	if ip, err := netip.ParseAddr(host); err == nil && ip.WithZone("").Unmap() == e.addr.WithZone("").Unmap() {
		return e
	}
	return fmt.Errorf("%w: %s does not resolve to a public internet address", ErrBlockedAddress, host)
}
