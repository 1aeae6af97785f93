package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/photoproc/photoproc/admin"
	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/retry"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
	"github.com/photoproc/photoproc/thumbstore/s3test"
)

// services are one test's own database, queues, thumbnails directory (or bucket) and photo
// server: what a daemon, in this process or a child process, is pointed at.
type services struct {
	uri    string // the test database
	db     *pgxpool.Pool
	store  *store.DB
	queue  queue.Config // unique names; deleted when the test ends
	thumbs string
	photos *photoServer
	s3     *s3test.Server // with bucket: thumbnails are stored there, not in thumbs
	bucket string
}

// s3Prefix is the key prefix tests store thumbnails under in a bucket.
const s3Prefix = "thumbs"

// newS3Services are services that keep thumbnails in a bucket of the test's own on srv, or
// in bucket when it is not empty (a test that makes the bucket itself).
func newS3Services(t *testing.T, srv *s3test.Server, bucket string) *services {
	t.Helper()
	svc := newServices(t)
	svc.s3, svc.bucket = srv, bucket
	if bucket == "" {
		svc.bucket = srv.Bucket(t)
	}
	return svc
}

func newServices(t *testing.T) *services {
	t.Helper()
	st, uri := storetest.NewStore(t)
	q := queuetest.Config(t)
	// A child daemon (childEnv) gets the test's first retry delay but the daemon's own cap, so
	// it declares more delay queues: those go too.
	child, policy := q, queuetest.Retry()
	policy.BackoffMax = retry.DefaultPolicy().BackoffMax
	child.RetryDelays = policy.Delays()
	queuetest.Cleanup(t, child)
	return &services{
		uri:    uri,
		db:     storetest.Pool(t, uri),
		store:  st,
		queue:  q,
		thumbs: t.TempDir(),
		photos: newPhotoServer(t),
	}
}

// harness is one daemon running in this process against its own services.
type harness struct {
	*services
	cfg   daemon.Config
	addrs daemon.Addrs
	logs  *testkit.Buffer
	http  *http.Client
	stop  func() error
}

// startDaemon configures a daemon like a user would (defaultConfig), points it at fresh
// services, lets mutate adjust it, and runs it until the test ends.
func startDaemon(t *testing.T, mutate func(*daemon.Config)) *harness {
	t.Helper()
	return startDaemonOn(t, newServices(t), mutate)
}

// startDaemonOn runs a daemon on the given services until the test ends, once it is ready.
func startDaemonOn(t *testing.T, svc *services, mutate func(*daemon.Config)) *harness {
	t.Helper()
	h := launchDaemon(t, svc, mutate)
	h.waitReady(t)
	return h
}

// launchDaemon runs a daemon on the given services until the test ends, once it has started:
// for a test of a daemon that cannot be ready.
func launchDaemon(t *testing.T, svc *services, mutate func(*daemon.Config)) *harness {
	t.Helper()
	cfg := daemon.DefaultConfig()
	cfg.Store.URI = svc.uri
	cfg.Queue = svc.queue
	cfg.HTTPAddr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ThumbStore.Dir = svc.thumbs
	if svc.s3 != nil {
		cfg.ThumbStore = svc.s3.Config(svc.bucket, s3Prefix)
	}
	cfg.Pool.Workers = 2
	cfg.Pool.Retry = queuetest.Retry() // the delays of svc.queue
	cfg.Fetch.AllowPrivate = true      // the photo server is on 127.0.0.1
	if mutate != nil {
		mutate(&cfg)
	}
	cfg.Queue.Prefetch = cfg.Pool.Prefetch()
	cfg.Queue.RetryDelays = cfg.Pool.Retry.Delays()
	if !slices.Equal(queue.QueueNames(cfg.Queue), queue.QueueNames(svc.queue)) {
		// Other retry settings name other delay queues. Deleted straight on the broker, not
		// through any proxy the test points the daemon at.
		names := cfg.Queue
		names.URI = queuetest.URI()
		queuetest.Cleanup(t, names)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &harness{services: svc, cfg: cfg, logs: &testkit.Buffer{}, http: &http.Client{Timeout: 30 * time.Second}}

	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan daemon.Addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- daemon.Serve(ctx, cfg, testkit.Logger(t, slog.LevelInfo, h.logs), func(a daemon.Addrs) { started <- a })
	}()
	select {
	case h.addrs = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("daemon did not start: %v", err)
	}
	var stopped bool
	h.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() {
		if err := h.stop(); err != nil {
			t.Errorf("daemon stopped with %v", err)
		}
	})
	return h
}

func (h *harness) waitReady(t *testing.T) {
	t.Helper()
	testkit.EventuallyWithin(t, 30*time.Second, "the daemon to report ready", func() bool { return h.readyz() == http.StatusOK })
}

// readyz is the status of the admin listener's /readyz, or 0 when it does not answer.
func (h *harness) readyz() int {
	resp, err := h.http.Get("http://" + h.addrs.Admin + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// status reads the admin /api/status; false when it does not answer 200 (it needs Postgres).
func (h *harness) status(t *testing.T) (admin.Status, bool) {
	t.Helper()
	return adminStatus(t, h.http, h.addrs.Admin)
}

// adminStatus reads /api/status of the admin listener at addr; false when it does not answer
// 200.
func adminStatus(t *testing.T, c *http.Client, addr string) (admin.Status, bool) {
	t.Helper()
	var st admin.Status
	resp, err := c.Get("http://" + addr + "/api/status")
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, false
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode /api/status: %v", err)
	}
	return st, true
}

// photoURL is where the daemon downloads a test photo from.
func (s *services) photoURL(name string) string { return s.photos.URL + "/" + name }

func (s *services) addPhoto(t *testing.T, url string) store.Photo {
	t.Helper()
	return storetest.Photo(context.Background(), t, s.db, &storetest.PhotoOpts{URL: url})
}

// addPhotos inserts one pending photo per URL and returns their UUIDs in order.
func (s *services) addPhotos(t *testing.T, urls []string) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, len(urls))
	for i, u := range urls {
		ids[i] = s.addPhoto(t, u).UUID
	}
	return ids
}

// process sends PUT /photos/process and returns the status and body.
func (h *harness) process(t *testing.T, ids []uuid.UUID) (int, []byte) {
	t.Helper()
	return putProcess(t, h.http, h.addrs.HTTP, ids)
}

// mustProcess queues ids through the API and fails unless all of them were queued.
func (h *harness) mustProcess(t *testing.T, ids []uuid.UUID) {
	t.Helper()
	mustQueue(t, h.http, h.addrs.HTTP, ids)
}

func putProcess(t *testing.T, c *http.Client, addr string, ids []uuid.UUID) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(ids)
	r := testkit.Do(t, c, testkit.Request(t, http.MethodPut, "http://"+addr+"/photos/process", string(body)))
	return r.Status, r.Body
}

func mustQueue(t *testing.T, c *http.Client, addr string, ids []uuid.UUID) {
	t.Helper()
	status, body := putProcess(t, c, addr, ids)
	var res api.ProcessResult
	if err := json.Unmarshal(body, &res); status != http.StatusAccepted || err != nil || res.PhotosQueuedCount != len(ids) {
		t.Fatalf("PUT /photos/process = %d %s", status, body)
	}
}

// waitSettled waits until every photo is completed or failed and returns them.
func (s *services) waitSettled(t *testing.T, ids []uuid.UUID, timeout time.Duration) map[uuid.UUID]store.Photo {
	t.Helper()
	var photos map[uuid.UUID]store.Photo
	testkit.EventuallyWithin(t, timeout, fmt.Sprintf("%d photos to be completed or failed", len(ids)), func() bool {
		var err error
		photos, err = s.store.Photos(context.Background(), ids)
		if err != nil {
			t.Logf("read photos: %v", err)
			return false
		}
		for _, p := range photos {
			if p.Status != store.StatusCompleted && p.Status != store.StatusFailed {
				return false
			}
		}
		return len(photos) == len(ids)
	})
	return photos
}

// countStatus counts the photos among ids that are in status; -1 when the database does not
// answer (a test may have made it unreachable on purpose).
func (s *services) countStatus(ids []uuid.UUID, status store.Status) int {
	photos, err := s.store.Photos(context.Background(), ids)
	if err != nil {
		return -1
	}
	n := 0
	for _, p := range photos {
		if p.Status == status {
			n++
		}
	}
	return n
}
