package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/internal/testkit"
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
	pub := queuetest.Publisher(t, qcfg, testLogger(t))
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

func connectedCheck(p *queue.Publisher) func(context.Context) error {
	return func(context.Context) error {
		if !p.Connected() {
			return queue.ErrUnavailable
		}
		return nil
	}
}

func testLogger(t *testing.T) *slog.Logger { return testkit.Logger(t, slog.LevelWarn) }

// do sends a request with a JSON Content-Type and the given header pairs (testkit.Request).
func (b *bundle) do(t *testing.T, method, path, body string, header ...string) testkit.Response {
	t.Helper()
	return testkit.Do(t, b.srv.Client(), testkit.Request(t, method, b.srv.URL+path, body, header...))
}

func jsonArray(ids ...string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func (b *bundle) photo(t *testing.T, opts *storetest.PhotoOpts) store.Photo {
	t.Helper()
	return storetest.Photo(context.Background(), t, b.db, opts)
}
