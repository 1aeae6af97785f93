package admin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/admin"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// TestAdminRefusesCrossOriginActions: what a page of another site can make the operator's
// browser send is refused, whatever the listener's trust; what the admin page itself and
// clients that are not browsers send is not.
func TestAdminRefusesCrossOriginActions(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	for _, h := range [][]string{
		{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"}, // another port or subdomain
		{"Origin", "https://evil.example"},
		{"Origin", "null"},
	} {
		p := a.do(t, http.MethodPost, "/api/pause", "{}", h...).Problem(t, http.StatusForbidden)
		if !strings.Contains(p.Detail, "Cross-origin") {
			t.Errorf("%v: %q", h, p.Detail)
		}
		if paused, _ := a.pool.Paused(); paused {
			t.Fatalf("%v paused the workers", h)
		}
	}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "same-origin", "Origin", a.srv.URL},
		{"Origin", a.srv.URL},
		{}, // curl
	} {
		if r := a.do(t, http.MethodPost, "/api/resume", "{}", h...); r.Status != http.StatusOK {
			t.Errorf("%v: %d %s", h, r.Status, r.Body)
		}
	}
}

// TestAdminActionsNeedJSON: a page of another origin can send text/plain or a form without
// the browser asking first; an action must say application/json, which it cannot.
func TestAdminActionsNeedJSON(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	stuck := a.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, UpdatedAt: time.Now().Add(-time.Hour)})
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		a.do(t, http.MethodPost, "/api/requeue-stuck", `{"older_than":"0s"}`, "Content-Type", ct).Problem(t, http.StatusUnsupportedMediaType)
	}
	if n := countMessages(t, a); n != 0 {
		t.Fatalf("%d photos requeued by refused requests", n)
	}
	r := a.do(t, http.MethodPost, "/api/requeue-stuck", `{"older_than":"0s"}`, "Content-Type", "application/json; charset=utf-8")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), stuck.UUID.String()) {
		t.Fatalf("requeue with JSON = %d %s", r.Status, r.Body)
	}
}

// TestAdminRefusesForeignHosts: DNS rebinding makes a browser send the attacker's name as
// Host; the listener answers only its addresses, localhost and the configured names, for reads
// too (failure reasons and photo URLs are in /api/status).
func TestAdminRefusesForeignHosts(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true, Hosts: []string{"photoproc"}})
	port := a.srv.URL[strings.LastIndex(a.srv.URL, ":"):]
	for _, host := range []string{"rebind.evil.example" + port, "rebind.evil.example", "photoproc.evil.example" + port, "localhost.evil.example"} {
		for _, path := range []string{"/api/status", "/", "/metrics"} {
			p := a.do(t, http.MethodGet, path, "", "Host", host).Problem(t, http.StatusForbidden)
			if !strings.Contains(p.Detail, "PHOTOPROC_ADMIN_HOSTS") {
				t.Errorf("%s %s: %q", host, path, p.Detail)
			}
		}
		a.do(t, http.MethodPost, "/api/pause", "{}", "Host", host).Problem(t, http.StatusForbidden)
	}
	for _, host := range []string{"127.0.0.1" + port, "localhost" + port, "LOCALHOST.", "[::1]" + port, "10.1.2.3:9090", "photoproc:9090", "PhotoProc"} {
		if r := a.do(t, http.MethodGet, "/api/status", "", "Host", host); r.Status != http.StatusOK {
			t.Errorf("Host %s: %d %s", host, r.Status, r.Body)
		}
	}
	if paused, _ := a.pool.Paused(); paused {
		t.Fatal("a foreign Host paused the workers")
	}
}

// TestAdminForwardedActionsNeedTheToken: a reverse proxy on this machine connects from
// loopback on behalf of anyone, so a relayed request is not trusted for being local.
func TestAdminForwardedActionsNeedTheToken(t *testing.T) {
	t.Parallel()
	open := setupAdmin(t, admin.Config{Loopback: true})
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP"} {
		p := open.do(t, http.MethodPost, "/api/pause", "{}", h, "203.0.113.9").Problem(t, http.StatusForbidden)
		if !strings.Contains(p.Detail, "PHOTOPROC_ADMIN_TOKEN") {
			t.Errorf("%s: %q", h, p.Detail)
		}
		// Reads stay open, as they are off loopback.
		if r := open.do(t, http.MethodGet, "/api/status", "", h, "203.0.113.9"); r.Status != http.StatusOK {
			t.Errorf("%s: read refused: %d", h, r.Status)
		}
	}
	if paused, _ := open.pool.Paused(); paused {
		t.Fatal("a forwarded request paused the workers")
	}
	withToken := setupAdmin(t, admin.Config{Loopback: true, Token: "s3cret"})
	if r := withToken.do(t, http.MethodPost, "/api/pause", "{}", "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer s3cret"); r.Status != http.StatusOK {
		t.Fatalf("forwarded with the token = %d %s", r.Status, r.Body)
	}
}

// TestAdminSecurityHeaders: no page of the listener can be framed or sniffed, or embedded by
// another origin.
func TestAdminSecurityHeaders(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	for _, path := range []string{"/", "/docs", "/api/status", "/metrics", "/nowhere"} {
		r := a.do(t, http.MethodGet, path, "")
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cross-Origin-Resource-Policy": "same-origin",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q lacks frame-ancestors 'none'", path, csp)
		}
	}
}
