package admin

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
)

// protect puts the admin listener's defences in front of h, outermost first: headers that
// keep its pages out of other sites' frames and sniffing, the Host check against DNS
// rebinding, refusal of cross-origin actions, and the rules for actions (token, loopback,
// JSON). GET and HEAD are reads and pass the last two.
func (ad *admin) protect(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusForbidden, "Cross-origin request refused: admin actions are taken from the admin page itself, or from a client that is not a browser.")
	}))
	return adminHeaders(ad.checkHost(cop.Handler(ad.checkAction(h))))
}

// adminHeaders forbids framing the admin pages (clickjacking) and content sniffing, keeps
// responses from being embedded by other origins, and sends no Referer off them. The page
// and the docs set their own Content-Security-Policy, with the same frame-ancestors.
func adminHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// checkHost answers only requests addressed to the listener by an IP address, by localhost,
// or by a name in AdminConfig.Hosts. DNS rebinding points a name the attacker owns at this
// machine, so that a page of theirs can read the admin listener as its own origin; the
// browser then sends that name as Host. An IP address or localhost cannot be rebound.
func (ad *admin) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ad.allowedHost(r.Host) {
			writeProblem(w, http.StatusForbidden, fmt.Sprintf(
				"This admin listener answers to its IP address, localhost and the names in PHOTOPROC_ADMIN_HOSTS, not to %q.", r.Host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (ad *admin) allowedHost(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0 without Host: not a browser
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if net.ParseIP(host) != nil || host == "localhost" {
		return true
	}
	return slices.ContainsFunc(ad.cfg.Hosts, func(h string) bool { return strings.EqualFold(h, host) })
}

// forwardedHeaders mark a request relayed by a proxy, whose own client may be anywhere.
var forwardedHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip"}

// checkAction lets reads through and holds actions to the rules: with a token, the token;
// without one, a loopback listener and a request that no proxy relayed (a reverse proxy on
// this machine connects from loopback for anyone); and always a JSON body, which a page of
// another origin cannot send without the browser asking first (CORS preflight).
func (ad *admin) checkAction(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if status, detail := ad.refuseAction(r); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="photoproc admin"`)
			}
			writeProblem(w, status, detail)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseAction returns why an action is refused, or 0.
func (ad *admin) refuseAction(r *http.Request) (int, string) {
	if ad.cfg.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(ad.cfg.Token)) != 1 {
			return http.StatusUnauthorized, "Admin actions need the admin token: send Authorization: Bearer <PHOTOPROC_ADMIN_TOKEN>."
		}
	} else {
		if !ad.cfg.Loopback {
			return http.StatusForbidden, "Admin actions are disabled: the admin listener is not on loopback and PHOTOPROC_ADMIN_TOKEN is not set."
		}
		for _, h := range forwardedHeaders {
			if r.Header.Get(h) != "" {
				return http.StatusForbidden, fmt.Sprintf("Admin actions through a proxy need PHOTOPROC_ADMIN_TOKEN: this request carries %s, so it may come from anywhere.", h)
			}
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, "Admin actions take a JSON body: send Content-Type: application/json."
	}
	return 0, ""
}
