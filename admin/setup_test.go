package admin_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/admin"
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

// fakePool stands in for the worker pool: these tests are about the admin edge (auth, routing,
// JSON); pausing a real consumer is tested in pool and queue.
type fakePool struct {
	mu     sync.Mutex
	paused bool
}

func (p *fakePool) Pause()  { p.mu.Lock(); p.paused = true; p.mu.Unlock() }
func (p *fakePool) Resume() { p.mu.Lock(); p.paused = false; p.mu.Unlock() }
func (p *fakePool) Paused() (bool, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		return true, []string{"paused by an operator"}
	}
	return false, nil
}
func (p *fakePool) Stats() metrics.PoolStats { return fakeStats{} }

type fakeStats struct{}

func (fakeStats) RunningWorkers() int64  { return 1 }
func (fakeStats) WaitingTasks() uint64   { return 0 }
func (fakeStats) MaxConcurrency() int    { return 2 }
func (fakeStats) CompletedTasks() uint64 { return 0 }

// bundle is one admin listener on its own database, queues and thumbnails directory, with a
// clock the test moves for the history.
type bundle struct {
	store      *store.DB
	db         *pgxpool.Pool // the same database, for fixtures
	queue      queue.Config
	pub        *queue.Publisher
	thumbstore *thumbstore.Store
	thumbs     string // the thumbnail store's directory
	metrics    *metrics.Metrics
	history    *metrics.History
	pool       *fakePool
	srv        *httptest.Server

	mu  sync.Mutex
	now time.Time
}

// historyStart is where the test clock starts: the beginning of a minute.
var historyStart = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

func setupAdmin(t *testing.T, cfg admin.Config) *bundle {
	t.Helper()
	st, uri := storetest.NewStore(t)
	qcfg := queuetest.Config(t)
	scfg := thumbstore.DefaultConfig()
	scfg.Dir = t.TempDir()
	thumbs, err := thumbstore.Open(scfg, thumbstore.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = thumbs.Close() })
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	b := &bundle{store: st, db: storetest.Pool(t, uri), queue: qcfg, pub: queuetest.Publisher(t, qcfg, testLogger(t)), thumbstore: thumbs, thumbs: scfg.Dir,
		metrics: m, pool: &fakePool{}, now: historyStart}
	b.history = metrics.NewHistory(m, time.Minute, 60, b.clock())
	log := testLogger(t)
	queuer, err := enqueue.New(enqueue.DefaultConfig(), st, b.pub, m)
	if err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(cfg, admin.Deps{Gatherer: reg, Store: st, Queuer: queuer, Publisher: b.pub,
		Queue: b.pub, Pool: b.pool, ThumbStore: thumbs, History: b.history,
		Ready: []httpx.Check{{Name: "postgres", Check: st.Ping}}, Logger: log, Now: b.clock})
	if err != nil {
		t.Fatal(err)
	}
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bundle) clock() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

func (b *bundle) advance(d time.Duration) {
	b.mu.Lock()
	b.now = b.now.Add(d)
	b.mu.Unlock()
}

func testLogger(t *testing.T) *slog.Logger { return testkit.Logger(t, slog.LevelWarn) }

// do sends a request with a JSON Content-Type and the given header pairs (testkit.Request).
func (b *bundle) do(t *testing.T, method, path, body string, header ...string) testkit.Response {
	t.Helper()
	return testkit.Do(t, b.srv.Client(), testkit.Request(t, method, b.srv.URL+path, body, header...))
}

func jsonObject(key string, values ...string) string {
	b, _ := json.Marshal(map[string][]string{key: values})
	return string(b)
}

func (b *bundle) photo(t *testing.T, opts *storetest.PhotoOpts) store.Photo {
	t.Helper()
	return storetest.Photo(context.Background(), t, b.db, opts)
}

// countMessages takes every message off the work queue and counts them.
func countMessages(t *testing.T, b *bundle) int {
	t.Helper()
	n := 0
	for {
		if _, ok := queuetest.Get(t, b.queue.URI, b.queue.Queue); !ok {
			return n
		}
		n++
	}
}
