package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// harness is one daemon running in this process against its own database, its own queues,
// its own thumbnails directory, and a local server for the test photos.
type harness struct {
	cfg    Config
	addrs  Addrs
	db     *pgxpool.Pool
	store  *store.Store
	photos *httptest.Server // serves testphotos.Dir at /
	http   *http.Client
	stop   func() error
}

// startDaemon configures a daemon like a user would (defaultConfig), points it at fresh
// services, lets mutate adjust it, and runs it until the test ends.
func startDaemon(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	st, uri := storetest.NewStore(t)
	cfg := defaultConfig()
	cfg.Store.URI = uri
	cfg.Queue = queuetest.Config(t)
	cfg.HTTPAddr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Pool.ThumbsDir = t.TempDir()
	cfg.API.ThumbsDir = cfg.Pool.ThumbsDir
	cfg.Pool.Workers = 2
	cfg.Pool.MaxAttempts = cfg.Queue.MaxAttempts
	cfg.Fetch.AllowPrivate = true // the photo server is on 127.0.0.1
	if mutate != nil {
		mutate(&cfg)
	}
	cfg.Queue.Prefetch = cfg.Pool.Prefetch()
	if err := validate(cfg); err != nil {
		t.Fatal(err)
	}
	h := &harness{cfg: cfg, db: storetest.Pool(t, uri), store: st, http: &http.Client{Timeout: 30 * time.Second}}
	h.photos = httptest.NewServer(http.FileServer(http.Dir(testphotos.Dir(t))))
	t.Cleanup(h.photos.Close)

	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan Addrs, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, testLogger(t), func(a Addrs) { started <- a }) }()
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
	h.waitReady(t)
	return h
}

func (h *harness) waitReady(t *testing.T) {
	t.Helper()
	eventually(t, 30*time.Second, "the daemon to report ready", func() bool {
		resp, err := h.http.Get("http://" + h.addrs.Admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// photoURL is where the daemon downloads a test photo from.
func (h *harness) photoURL(name string) string { return h.photos.URL + "/" + name }

func (h *harness) addPhoto(t *testing.T, url string) store.Photo {
	t.Helper()
	return storetest.Photo(context.Background(), t, h.db, &storetest.PhotoOpts{URL: url})
}

// process sends PUT /photos/process and returns the status and body.
func (h *harness) process(t *testing.T, ids []uuid.UUID) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(ids)
	req, _ := http.NewRequest(http.MethodPut, "http://"+h.addrs.HTTP+"/photos/process", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// waitSettled waits until every photo is completed or failed and returns them.
func (h *harness) waitSettled(t *testing.T, ids []uuid.UUID, timeout time.Duration) map[uuid.UUID]store.Photo {
	t.Helper()
	var photos map[uuid.UUID]store.Photo
	eventually(t, timeout, fmt.Sprintf("%d photos to be completed or failed", len(ids)), func() bool {
		var err error
		photos, err = h.store.Photos(context.Background(), ids)
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

// eventually polls cond until it holds or timeout passes. It waits for an outcome; it never
// stands in for one.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := 10 * time.Millisecond; !cond(); wait = min(wait*2, 250*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(wait)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// tWriter sends log lines to the test's log, shown when it fails or with -v.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
