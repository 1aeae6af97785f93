package api

import (
	_ "embed"
	"html/template"
	"net/http"
)

//go:embed docs.html
var docsHTML string

var docsTemplate = template.Must(template.New("docs").Parse(docsHTML))

// docsHandler serves a self-contained page that renders the OpenAPI document at specURL. It
// loads nothing from outside this server, so it works on a machine with no internet access
// (huma's built-in page loads its scripts from a CDN).
func docsHandler(title, specURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'")
		_ = docsTemplate.Execute(w, struct{ Title, SpecURL string }{title, specURL})
	})
}
