package fetch

import (
	"errors"
	"net/netip"
	"strings"
)

// hostList is a normalised Config.AllowedHosts; the zero value allows every host.
type hostList struct {
	exact    map[string]bool
	suffixes []string // ".example.com" for "*.example.com"
}

func newHostList(patterns []string) hostList {
	var l hostList
	for _, p := range patterns {
		p = normalizeHost(p)
		if rest, ok := strings.CutPrefix(p, "*."); ok {
			l.suffixes = append(l.suffixes, "."+rest)
			continue
		}
		if l.exact == nil {
			l.exact = make(map[string]bool)
		}
		l.exact[p] = true
	}
	return l
}

func (l hostList) empty() bool { return len(l.exact) == 0 && len(l.suffixes) == 0 }

// allows reports whether host (as url.URL.Hostname returns it) is on the list.
func (l hostList) allows(host string) bool {
	if l.empty() {
		return true
	}
	host = normalizeHost(host)
	if l.exact[host] {
		return true
	}
	for _, s := range l.suffixes {
		if len(host) > len(s) && strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// normalizeHost makes equal names compare equal: case, a trailing root dot, and the spellings of
// one IPv6 address.
func normalizeHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	return h
}

func validHostPattern(p string) error {
	p = normalizeHost(p)
	if _, err := netip.ParseAddr(p); err == nil {
		return nil
	}
	name, wildcard := strings.CutPrefix(p, "*.")
	if name == "" {
		if wildcard {
			return errors.New(`"*." needs a domain after it`)
		}
		return errors.New("empty host name")
	}
	if strings.Contains(name, "*") {
		return errors.New(`"*" is only allowed as a whole first label, as in "*.example.com"`)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return errors.New("empty label")
		}
		if strings.ContainsFunc(label, notHostChar) {
			return errors.New("a host name has only letters, digits, '-' and '_' (no scheme, port or path)")
		}
	}
	return nil
}

func notHostChar(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}
