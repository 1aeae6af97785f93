package openapi

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

var (
	//go:embed swagger-ui
	swaggerUI embed.FS
	//go:embed viewer.html
	viewerHTML string
	//go:embed viewer.js
	viewerJS []byte

	viewerPage = template.Must(template.New("viewer").Parse(viewerHTML))
)

// viewerCSP keeps the page on its own listener: scripts, styles, requests and images from
// 'self' only (Swagger UI sets inline styles and draws some icons as data: images).
const viewerCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Viewer serves the docs page for the OpenAPI document at specURL: the page at /docs, its
// start-up script at /docs/viewer.js and Swagger UI's files under /docs/swagger-ui/. Register
// it for both "GET /docs" and "GET /docs/".
func Viewer(title, specURL string) http.Handler {
	assets, err := fs.Sub(swaggerUI, "swagger-ui")
	if err != nil {
		panic(err) // the embedded folder is part of the build
	}
	files := http.StripPrefix("/docs/swagger-ui/", http.FileServerFS(assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", viewerCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		switch p := r.URL.Path; {
		case p == "/docs" || p == "/docs/":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			_ = viewerPage.Execute(w, struct{ Title, SpecURL string }{title, specURL})
		case p == "/docs/viewer.js":
			h.Set("Content-Type", "text/javascript; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			_, _ = w.Write(viewerJS)
		case strings.HasPrefix(p, "/docs/swagger-ui/"):
			h.Set("Cache-Control", "public, max-age=86400")
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
