package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// redirectServer serves /hop/N, which redirects to /hop/N-1 until /hop/0 answers "photo", and
// /to?u=URL, which redirects to URL.
func redirectServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if n == 0 {
			_, _ = w.Write([]byte("photo"))
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusMovedPermanently)
	})
	return newServer(t, mux).URL
}

func TestFetchRedirects(t *testing.T) {
	t.Parallel()
	base := redirectServer(t)
	to := func(target string) string { return base + "/to?u=" + url.QueryEscape(target) }
	tests := []struct {
		name         string
		url          string
		maxRedirects int
		allowedHosts []string
		wantErr      error  // nil = the body "photo"
		wantMsg      string // part of the error message
	}{
		{name: "within limit", url: base + "/hop/2", maxRedirects: 2},
		{name: "default limit", url: base + "/hop/5", maxRedirects: 5},
		{name: "one over limit", url: base + "/hop/3", maxRedirects: 2,
			wantErr: ErrTooManyRedirects, wantMsg: "too many redirects: more than 2"},
		{name: "no redirects allowed", url: base + "/hop/1", maxRedirects: 0,
			wantErr: ErrTooManyRedirects},
		{name: "to cloud metadata", url: to("http://169.254.169.254/latest/meta-data/"), maxRedirects: 5,
			wantErr: ErrBlockedAddress, wantMsg: "169.254.169.254 is link-local"},
		{name: "to private network", url: to("http://10.0.0.1:8080/admin"), maxRedirects: 5,
			wantErr: ErrBlockedAddress, wantMsg: "10.0.0.1 is private"},
		{name: "to loopback other than the test server", url: to("http://127.0.0.2/"), maxRedirects: 5,
			wantErr: ErrBlockedAddress, wantMsg: "127.0.0.2 is loopback"},
		{name: "to file", url: to("file:///etc/passwd"), maxRedirects: 5,
			wantErr: ErrScheme, wantMsg: `redirect to file:///etc/passwd: scheme not allowed: "file" (only http and https)`},
		{name: "to ftp", url: to("ftp://example.com/p.jpg"), maxRedirects: 5, wantErr: ErrScheme},
		{name: "to data", url: to("data:image/jpeg;base64,AAAA"), maxRedirects: 5, wantErr: ErrScheme},
		{name: "to gopher", url: to("gopher://127.0.0.1:70/"), maxRedirects: 5, wantErr: ErrScheme},
		{name: "to host not allowed", url: "http://localhost:" + portOf(t, base) + "/to?u=" + url.QueryEscape(base+"/hop/0"),
			maxRedirects: 5, allowedHosts: []string{"localhost"},
			wantErr: ErrHostNotAllowed, wantMsg: "host not allowed: 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.MaxRedirects = tt.maxRedirects
			cfg.AllowedHosts = tt.allowedHosts
			f := newFetcherT(t, cfg, withExempt(loopback4))
			body, err := f.Fetch(context.Background(), tt.url)
			if tt.wantErr == nil {
				if err != nil || string(body) != "photo" {
					t.Fatalf("Fetch = %q, %v; want photo", body, err)
				}
				return
			}
			wantErrIs(t, err, tt.wantErr)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if !Permanent(err) {
				t.Errorf("Permanent(%v) = false", err)
			}
		})
	}
}

// A StatusError names the URL that answered, not the one asked for.
func TestFetchStatusAfterRedirect(t *testing.T) {
	t.Parallel()
	base := redirectServer(t)
	f := newFetcherT(t, privateConfig())
	_, err := f.Fetch(context.Background(), base+"/to?u=/missing.jpg")
	se, ok := asStatusError(err)
	if !ok || se.Code != http.StatusNotFound || se.URL != base+"/missing.jpg" {
		t.Fatalf("error = %#v, want a 404 StatusError for %s/missing.jpg", err, base)
	}
}
