package openapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestViewerServesItsPageAndFiles(t *testing.T) {
	t.Parallel()
	v := Viewer("Test API", "/spec.json")
	for _, c := range []struct {
		path, contentType, body string
		status                  int
	}{
		{"/docs", "text/html", `data-spec-url="/spec.json"`, 200},
		{"/docs/", "text/html", "<title>Test API</title>", 200},
		{"/docs/viewer.js", "text/javascript", "SwaggerUIBundle(", 200},
		{"/docs/swagger-ui/swagger-ui-bundle.js", "text/javascript", "", 200},
		{"/docs/swagger-ui/swagger-ui.css", "text/css", "", 200},
		{"/docs/swagger-ui/LICENSE", "text/plain", "Apache License", 200},
		{"/docs/swagger-ui/no-such-file.js", "", "", 404},
		{"/docs/other", "", "", 404},
	} {
		rec := httptest.NewRecorder()
		v.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != c.status {
			t.Errorf("GET %s = %d, want %d", c.path, rec.Code, c.status)
			continue
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, c.contentType) {
			t.Errorf("GET %s: Content-Type %q, want %s", c.path, got, c.contentType)
		}
		if !strings.Contains(rec.Body.String(), c.body) {
			t.Errorf("GET %s: body lacks %q", c.path, c.body)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
		}
	}
}
