package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
)

// withExempt lets the Fetcher dial addrs despite the address check.
func withExempt(addrs ...netip.Addr) option {
	return func(f *Fetcher) {
		f.exempt = make(map[netip.Addr]bool, len(addrs))
		for _, a := range addrs {
			f.exempt[a] = true
		}
	}
}

// withResolver replaces DNS, so name-resolution failures can be tested without a network.
func withResolver(r *net.Resolver) option {
	return func(f *Fetcher) { f.resolver = r }
}

var loopback4 = netip.MustParseAddr("127.0.0.1")

func newFetcherT(t *testing.T, cfg Config, opts ...option) *Fetcher {
	t.Helper()
	f, err := newFetcher(cfg, opts...)
	if err != nil {
		t.Fatalf("newFetcher: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

// privateConfig reaches httptest servers on 127.0.0.1 with every other rule in force.
func privateConfig() Config {
	cfg := DefaultConfig()
	cfg.AllowPrivate = true
	return cfg
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func portOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// newBlockedServer answers nothing (after before, if given) until the client gives up or the
// test ends. Its release is registered after the server's Close, so it runs first and Close
// never waits on a handler.
func newBlockedServer(t *testing.T, before func(http.ResponseWriter)) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if before != nil {
			before(w)
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	return srv
}

func fetchOK(t *testing.T, f *Fetcher, rawURL string) []byte {
	t.Helper()
	body, err := f.Fetch(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", rawURL, err)
	}
	return body
}

func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want errors.Is %v", err, target)
	}
}
