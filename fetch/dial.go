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
		return fmt.Errorf("%w: %s is %s", ErrBlockedAddress, addr, class)
	}
	return nil
}
