package api_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
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

type adminBundle struct {
	*bundle
	pool *fakePool
}

func setupAdmin(t *testing.T, cfg api.AdminConfig) *adminBundle {
	t.Helper()
	b := setup(t)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	p := &fakePool{}
	h, err := api.NewAdmin(cfg, api.AdminDeps{Gatherer: reg, Store: b.store, Publisher: b.pub, Queue: b.pub, Pool: p,
		Ready: []api.Check{{Name: "postgres", Check: b.store.Ping}}, Metrics: m, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &adminBundle{bundle: &bundle{store: b.store, db: b.db, queue: b.queue, pub: b.pub, srv: srv}, pool: p}
}

func TestAdminActionsNeedTheToken(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, api.AdminConfig{Token: "s3cret", Loopback: true})
	a.do(t, http.MethodPost, "/api/pause", "").problem(t, http.StatusUnauthorized)
	a.do(t, http.MethodPost, "/api/pause", "", "Authorization", "Bearer wrong").problem(t, http.StatusUnauthorized)
	if paused, _ := a.pool.Paused(); paused {
		t.Fatal("paused without the token")
	}
	if r := a.do(t, http.MethodPost, "/api/pause", "", "Authorization", "Bearer s3cret"); r.status != http.StatusOK {
		t.Fatalf("pause with the token = %d %s", r.status, r.body)
	}
	if paused, _ := a.pool.Paused(); !paused {
		t.Fatal("not paused")
	}
	// Reads stay open.
	if r := a.do(t, http.MethodGet, "/api/status", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), `"paused":true`) {
		t.Fatalf("status = %d %s", r.status, r.body)
	}
	if r := a.do(t, http.MethodPost, "/api/resume", "", "Authorization", "Bearer s3cret"); r.status != http.StatusOK || !strings.Contains(string(r.body), `"paused":false`) {
		t.Fatalf("resume = %d %s", r.status, r.body)
	}
}

func TestAdminActionsRefusedOffLoopbackWithoutToken(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, api.AdminConfig{Loopback: false})
	p := a.do(t, http.MethodPost, "/api/pause", "").problem(t, http.StatusForbidden)
	if !strings.Contains(p.Detail, "PHOTOPROC_ADMIN_TOKEN") {
		t.Errorf("detail %q does not say how to enable actions", p.Detail)
	}
	local := setupAdmin(t, api.AdminConfig{Loopback: true})
	if r := local.do(t, http.MethodPost, "/api/pause", ""); r.status != http.StatusOK {
		t.Fatalf("loopback without token = %d %s", r.status, r.body)
	}
}

func TestAdminRetryFailedAndRequeueStuck(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, api.AdminConfig{Loopback: true})
	failed := []store.Photo{
		a.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, FailureReason: "download: 503"}),
		a.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed}),
	}
	a.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	stuck := a.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, UpdatedAt: time.Now().Add(-time.Hour)})

	r := a.do(t, http.MethodGet, "/api/status", "")
	var st api.Status
	r.json(t, &st)
	if st.Counts["failed"] != 2 || st.Counts["processing"] != 1 || len(st.RecentFailures) != 2 || st.Queue == nil || st.Pool == nil {
		t.Fatalf("status = %s", r.body)
	}

	// Chosen ones first, then all.
	r = a.do(t, http.MethodPost, "/api/retry-failed", jsonObject("uuids", failed[0].UUID.String()))
	var res api.ProcessResult
	r.json(t, &res)
	if r.status != http.StatusAccepted || res.PhotosQueuedCount != 1 || res.PhotosQueued[0].UUID != failed[0].UUID {
		t.Fatalf("retry chosen = %d %s", r.status, r.body)
	}
	// The chosen one is pending again once queued: "all" is the other one.
	r = a.do(t, http.MethodPost, "/api/retry-failed", `{}`)
	r.json(t, &res)
	if r.status != http.StatusAccepted || res.PhotosQueuedCount != 1 || res.PhotosQueued[0].UUID != failed[1].UUID {
		t.Fatalf("retry all = %d %s", r.status, r.body)
	}

	r = a.do(t, http.MethodPost, "/api/requeue-stuck", `{"older_than":"30m"}`)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), stuck.UUID.String()) {
		t.Fatalf("requeue stuck = %d %s", r.status, r.body)
	}
	a.do(t, http.MethodPost, "/api/requeue-stuck", `{"older_than":"soon"}`).problem(t, http.StatusUnprocessableEntity)

	if n := countMessages(t, a.bundle); n != 3 {
		t.Fatalf("%d messages queued, want 3 (1 chosen + 1 all + 1 stuck)", n)
	}
}

func TestAdminPageAndMetrics(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, api.AdminConfig{Loopback: true})
	r := a.do(t, http.MethodGet, "/", "")
	if r.status != 200 || !strings.Contains(string(r.body), "photoproc admin") {
		t.Fatalf("admin page = %d", r.status)
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).Find(r.body); m != nil {
		t.Fatalf("admin page loads from another origin: %s", m)
	}
	r = a.do(t, http.MethodGet, "/metrics", "")
	for _, name := range []string{"photoproc_photos_processed_total", "photoproc_resize_duration_seconds", "photoproc_processing_duration_seconds"} {
		if !strings.Contains(string(r.body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func jsonObject(key string, values ...string) string {
	return `{"` + key + `":` + jsonArray(values...) + `}`
}

func countMessages(t *testing.T, b *bundle) int {
	t.Helper()
	n := 0
	for {
		if _, ok := queuetestGet(t, b); !ok {
			return n
		}
		n++
	}
}
