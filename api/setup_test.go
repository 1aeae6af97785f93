package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
	"github.com/photoproc/photoproc/thumbstore"
)

type bundle struct {
	store      *store.DB
	db         *pgxpool.Pool // the same database, for fixtures
	queue      queue.Config
	pub        *queue.Publisher
	thumbs     string // the local thumbnails directory, when the store is one
	thumbstore *thumbstore.Store
	srv        *httptest.Server
}

// setup runs the public API against a fresh database, fresh queues and a thumbnails
// directory of its own.
func setup(t *testing.T) *bundle {
	t.Helper()
	dir := t.TempDir()
	scfg := thumbstore.DefaultConfig()
	scfg.Dir = dir
	b := setupWith(t, scfg, api.DefaultConfig())
	b.thumbs = dir
	return b
}

// setupWith runs the public API configured by cfg on the store scfg names.
func setupWith(t *testing.T, scfg thumbstore.Config, cfg api.Config) *bundle {
	t.Helper()
	st, uri := storetest.NewStore(t)
	qcfg := queuetest.Config(t)
	pub := publisher(t, qcfg)
	thumbs, err := thumbstore.Open(scfg, thumbstore.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = thumbs.Close() })
	b := &bundle{store: st, db: storetest.Pool(t, uri), queue: qcfg, pub: pub, thumbstore: thumbs}
	a, err := api.New(cfg, api.Deps{
		Store:      st,
		Queuer:     queuer(t, st, pub),
		ThumbStore: thumbs,
		Ready:      []httpx.Check{{Name: "postgres", Check: st.Ping}, {Name: "rabbitmq", Check: connectedCheck(pub)}},
		Logger:     testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	b.srv = httptest.NewServer(a.Handler())
	t.Cleanup(b.srv.Close)
	return b
}

func queuer(t *testing.T, st *store.DB, pub *queue.Publisher) *enqueue.Queuer {
	t.Helper()
	q, err := enqueue.New(enqueue.DefaultConfig(), st, pub, metrics.New(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func publisher(t *testing.T, cfg queue.Config) *queue.Publisher {
	t.Helper()
	pub, err := queue.NewPublisher(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = pub.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pub.WaitConnected(ctx); err != nil {
		t.Fatalf("publisher never connected: %v", err)
	}
	return pub
}

func connectedCheck(p *queue.Publisher) func(context.Context) error {
	return func(context.Context) error {
		if !p.Connected() {
			return queue.ErrUnavailable
		}
		return nil
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// tWriter sends log lines to the test's log, shown only when it fails.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem is an RFC 9457 problem document as huma writes it.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

func (r response) problem(t *testing.T, status int) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, r.body)
	}
	var p problem
	r.json(t, &p)
	if p.Status != status || p.Title == "" || p.Detail == "" {
		t.Fatalf("problem lacks status, title or detail: %s", r.body)
	}
	return p
}

// do sends a request with a JSON Content-Type and the given header pairs: "Host" sets the
// Host, an empty value removes the header.
func (b *bundle) do(t *testing.T, method, path, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		switch {
		case header[i] == "Host":
			req.Host = header[i+1]
		case header[i+1] == "":
			req.Header.Del(header[i])
		default:
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}
}

func jsonArray(ids ...string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func (b *bundle) photo(t *testing.T, opts *storetest.PhotoOpts) store.Photo {
	t.Helper()
	return storetest.Photo(context.Background(), t, b.db, opts)
}
