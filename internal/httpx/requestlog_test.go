package httpx_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/internal/httpx"
)

// Every request gets an id (the client's own when it is a sane one), echoed back and on its
// log lines; a panic becomes a 500 problem quoting the id, and its value stays in the log.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer // written by the handler in the test's goroutine: ServeHTTP is called directly
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		httpx.RequestLogger(r.Context(), nil).Info("inside", "id_seen", httpx.RequestID(r.Context()))
		_, _ = w.Write([]byte("fine"))
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	h := httpx.WithRequestLog(mux, slog.New(slog.NewTextHandler(&logs, nil)))

	for _, c := range []struct {
		sent string
		kept bool
	}{{"", false}, {"client-id.1:2", true}, {"has spaces", false}, {strings.Repeat("x", 65), false}} {
		req := httptest.NewRequest(http.MethodGet, "/ok", nil)
		if c.sent != "" {
			req.Header.Set("X-Request-Id", c.sent)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		id := rec.Header().Get("X-Request-Id")
		if id == "" || (id == c.sent) != c.kept {
			t.Errorf("sent %q, got id %q (kept %v)", c.sent, id, c.kept)
		}
		if !strings.Contains(logs.String(), "msg=inside request_id="+id+" id_seen="+id) {
			t.Errorf("no log line from inside the handler with request id %q:\n%s", id, logs.String())
		}
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
	var p struct {
		Status int
		Detail string
	}
	id := rec.Header().Get("X-Request-Id")
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 500 || p.Status != 500 ||
		rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, id) {
		t.Fatalf("panic answered %d %s (%v)", rec.Code, rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), "secret detail") || !strings.Contains(logs.String(), "secret detail") {
		t.Errorf("the panic's value must be logged and not sent: body %s", rec.Body)
	}
}
