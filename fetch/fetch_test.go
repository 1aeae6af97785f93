package fetch

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

func photoServer(t *testing.T, photo []byte) *httptest.Server {
	t.Helper()
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(photo)
	}))
}

// Every class of non-public address is refused by default when reached through Fetch. The
// loopback cases point at a live server, so a missing check would show up as a success.
func TestFetchRefusesNonPublicAddresses(t *testing.T) {
	t.Parallel()
	srv := photoServer(t, []byte("photo"))
	port := portOf(t, srv.URL)
	tests := []struct {
		url, class string
	}{
		{"http://127.0.0.1:" + port + "/p.jpg", "127.0.0.1 is loopback"},
		{"http://[::1]:" + port + "/p.jpg", "::1 is loopback"},
		{"http://[::ffff:127.0.0.1]:" + port + "/p.jpg", "loopback"},
		// A name: refused without saying what it resolves to (see TestFetchBlockedNameKeepsItsAddress).
		{"http://localhost:" + port + "/p.jpg", "blocked address: localhost does not resolve to a public internet address"},
		{"http://10.1.2.3/p.jpg", "10.1.2.3 is private"},
		{"http://172.16.5.4/p.jpg", "172.16.5.4 is private"},
		{"http://192.168.0.10/p.jpg", "192.168.0.10 is private"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"},
		{"http://100.64.1.1/p.jpg", "100.64.1.1 is shared address space (CGNAT)"},
		{"http://0.0.0.0:" + port + "/p.jpg", "0.0.0.0 is unspecified"},
		{"http://224.0.0.1/p.jpg", "224.0.0.1 is multicast"},
		{"http://[fc00::1]/p.jpg", "fc00::1 is private (unique local)"},
		{"http://[fe80::1]/p.jpg", "fe80::1 is link-local"},
		{"https://198.18.0.1/p.jpg", "198.18.0.1 is benchmarking"},
	}
	f := newFetcherT(t, DefaultConfig())
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			body, err := f.Fetch(context.Background(), tt.url)
			wantErrIs(t, err, ErrBlockedAddress)
			if !strings.Contains(err.Error(), tt.class) {
				t.Errorf("error %q does not say %q", err, tt.class)
			}
			if body != nil {
				t.Errorf("body = %q, want nil", body)
			}
			if !Permanent(err) {
				t.Errorf("Permanent(%v) = false", err)
			}
		})
	}
}

// TestFetchBlockedNameKeepsItsAddress: the reason recorded for a refused name says the name
// was refused, not the address it resolved to, so that photo URLs cannot be used to ask what
// internal names resolve to. Neither does the dialer's own message, which names it, get in.
func TestFetchBlockedNameKeepsItsAddress(t *testing.T) {
	t.Parallel()
	srv := photoServer(t, []byte("photo"))
	port := portOf(t, srv.URL)
	f := newFetcherT(t, DefaultConfig())
	_, err := f.Fetch(context.Background(), "http://localhost:"+port+"/p.jpg")
	wantErrIs(t, err, ErrBlockedAddress)
	for _, leak := range []string{"127.0.0.1", "::1", "loopback", "dial tcp"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q tells %q", err, leak)
		}
	}
	// After a redirect, the name of the hop that was refused.
	blocked := &blockedError{addr: netip.MustParseAddr("10.0.0.7"), class: "private"}
	for host, want := range map[string]string{
		"db.internal": "blocked address: db.internal does not resolve to a public internet address",
		"10.0.0.7":    "blocked address: 10.0.0.7 is private",
	} {
		if got := blocked.forHost(host); got.Error() != want || !errors.Is(got, ErrBlockedAddress) {
			t.Errorf("forHost(%s) = %v, want %s", host, got, want)
		}
	}
}

func TestFetchAllowPrivate(t *testing.T) {
	t.Parallel()
	photo := testphotos.Read(t, "camera-1600x1200.jpg")
	srv := photoServer(t, photo)
	f := newFetcherT(t, privateConfig())
	for _, u := range []string{srv.URL + "/p.jpg", "http://localhost:" + portOf(t, srv.URL) + "/p.jpg"} {
		if got := fetchOK(t, f, u); !bytes.Equal(got, photo) {
			t.Errorf("Fetch(%s) returned %d bytes, want the %d bytes served", u, len(got), len(photo))
		}
	}
}

func TestFetchSendsHeaders(t *testing.T) {
	t.Parallel()
	var ua, accept atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		accept.Store(r.Header.Get("Accept"))
	}))
	cfg := privateConfig()
	cfg.UserAgent = "photoproc-test/0"
	fetchOK(t, newFetcherT(t, cfg), srv.URL)
	if got := ua.Load(); got != "photoproc-test/0" {
		t.Errorf("User-Agent = %q", got)
	}
	if got := accept.Load().(string); !strings.HasPrefix(got, "image/") {
		t.Errorf("Accept = %q, want images first", got)
	}
}

// A proxy from HTTP_PROXY would be the address the dialer checks, letting any URL through.
func TestFetchIgnoresProxyEnvironment(t *testing.T) {
	t.Parallel()
	f := newFetcherT(t, DefaultConfig())
	tr, ok := f.client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T", f.client.Transport)
	}
	if tr.Proxy != nil {
		t.Error("Transport.Proxy is set")
	}
	if tr.DialContext == nil || tr.TLSHandshakeTimeout != DefaultConfig().ConnectTimeout ||
		tr.ResponseHeaderTimeout != DefaultConfig().ConnectTimeout {
		t.Error("transport timeouts do not follow ConnectTimeout")
	}
}

// Photos from one host share connections: one Fetcher, one Transport.
func TestFetchReusesConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("photo"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	f := newFetcherT(t, privateConfig())
	for range 5 {
		fetchOK(t, f, srv.URL)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 sequential fetches opened %d connections, want 1", n)
	}
}

func TestFetchConcurrent(t *testing.T) {
	t.Parallel()
	photo := testphotos.Read(t, "small-canon40d.jpg")
	srv := photoServer(t, photo)
	f := newFetcherT(t, privateConfig())
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range cap(errs) {
		wg.Go(func() {
			got, err := f.Fetch(context.Background(), srv.URL)
			if err == nil && !bytes.Equal(got, photo) {
				err = errWrongBody
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

var errWrongBody = errors.New("body differs from the photo served")

// URLs judged before any connection: wrong scheme, or not a usable absolute URL.
func TestFetchRefusesBadURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want error
	}{
		{"file:///etc/passwd", ErrScheme},
		{"ftp://example.com/p.jpg", ErrScheme},
		{"data:image/jpeg;base64,AAAA", ErrScheme},
		{"gopher://example.com/", ErrScheme},
		{"javascript:alert(1)", ErrScheme},
		{"ws://example.com/p.jpg", ErrScheme},
		{"", ErrBadURL},
		{"p.jpg", ErrBadURL},
		{"/photos/p.jpg", ErrBadURL},
		{"//example.com/p.jpg", ErrBadURL},
		{"http://", ErrBadURL},
		{"http:///p.jpg", ErrBadURL},
		{"http://[::1", ErrBadURL},
		{"http://exa mple.com/", ErrBadURL},
		{"http://%zz/", ErrBadURL},
		{"http://example.com/\x7f", ErrBadURL},
	}
	f := newFetcherT(t, DefaultConfig())
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			_, err := f.Fetch(context.Background(), tt.url)
			wantErrIs(t, err, tt.want)
			if !Permanent(err) {
				t.Errorf("Permanent(%v) = false", err)
			}
		})
	}
}

// Scheme and host names are case-insensitive, as URLs are.
func TestFetchAcceptsUpperCaseScheme(t *testing.T) {
	t.Parallel()
	srv := photoServer(t, []byte("photo"))
	f := newFetcherT(t, privateConfig())
	if got := fetchOK(t, f, "HTTP://LOCALHOST:"+portOf(t, srv.URL)+"/p.jpg"); string(got) != "photo" {
		t.Errorf("body = %q", got)
	}
}
