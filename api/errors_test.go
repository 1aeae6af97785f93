package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// TestInternalErrorsDoNotLeak points the API at a database that does not exist: the client
// gets a 500 problem with a request id to quote, and none of the driver's error text.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	cfg := store.DefaultConfig()
	cfg.URI = "postgres://postgres@127.0.0.1:5432/photoproc_missing_" + strings.ReplaceAll(uuid.NewString(), "-", "") + "?sslmode=disable"
	st, err := store.Open(t.Context(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	scfg := thumbstore.DefaultConfig()
	scfg.Dir = t.TempDir()
	thumbs, err := thumbstore.Open(scfg, thumbstore.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = thumbs.Close() })
	a, err := api.New(api.DefaultConfig(), api.Deps{Store: st, ThumbStore: thumbs, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	b := &bundle{srv: srv}

	for _, path := range []string{"/photos/pending", "/photos/" + uuid.NewString()} {
		r := b.do(t, http.MethodGet, path, "")
		p := r.Problem(t, http.StatusInternalServerError)
		id := r.Header.Get("X-Request-Id")
		if id == "" || !strings.Contains(p.Detail, id) {
			t.Errorf("%s: detail %q does not carry the request id %q", path, p.Detail, id)
		}
		for _, leak := range []string{"does not exist", "photoproc_missing", "SQLSTATE", "dial", "pgx"} {
			if strings.Contains(string(r.Body), leak) {
				t.Errorf("%s: body leaks %q: %s", path, leak, r.Body)
			}
		}
	}
}
