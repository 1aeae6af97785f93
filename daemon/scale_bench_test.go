package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// BenchmarkAtScale times what the admin page and the pending page ask of a daemon whose photos
// table holds PHOTOPROC_BENCH_ROWS rows (default 10 million: 85 % completed, 10 % pending,
// 4 % failed, 1 % processing), through the real listeners. The goal is under 50 ms each; the
// measurements are in ARCHITECTURE.md, "Reading at scale". Filling the table takes 5 to 12
// minutes on two loaded cores; run it alone:
//
//	go test -run '^$' -bench AtScale -benchtime 50x -timeout 90m ./daemon/
//
// Besides ns/op it reports p95-ms. count-uncached and failures-list-unindexed (without
// migration 005's index) are what /api/status used to run on every poll, for comparison.
func BenchmarkAtScale(b *testing.B) {
	if testing.Short() {
		b.Skip("needs Postgres and RabbitMQ, and minutes to fill the table")
	}
	rows := 10_000_000
	if v := os.Getenv("PHOTOPROC_BENCH_ROWS"); v != "" {
		var err error
		if rows, err = strconv.Atoi(v); err != nil {
			b.Fatalf("PHOTOPROC_BENCH_ROWS: %v", err)
		}
	}
	uri := storetest.NewDatabase(b)
	conn, err := pgx.Connect(context.Background(), uri)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	fillPhotos(b, conn, rows)
	client := &http.Client{Timeout: time.Minute}
	b.Cleanup(client.CloseIdleConnections)
	addrs := serveForBench(b, client, uri)
	db, err := store.Open(context.Background(), store.Config{URI: uri}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	middle := middlePending(b, conn)

	get := func(url string) func(*testing.B) {
		return func(b *testing.B) { timed(b, func() { mustGet(b, client, url) }) }
	}
	query := func(q func(context.Context) error) func(*testing.B) {
		return func(b *testing.B) {
			timed(b, func() {
				if err := q(context.Background()); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
	// The first status counts; every later one answers the last count at once.
	mustGet(b, client, "http://"+addrs.Admin+"/api/status")
	b.Run("admin-status", get("http://"+addrs.Admin+"/api/status"))
	b.Run("failures-list", query(func(ctx context.Context) error {
		_, err := db.RecentFailures(ctx, 20)
		return err
	}))
	b.Run("retry-failed-list", query(func(ctx context.Context) error {
		_, err := db.FailedPhotos(ctx, 1000)
		return err
	}))
	b.Run("pending-first-page", get("http://"+addrs.HTTP+"/photos/pending?limit=100"))
	b.Run("pending-middle-page", get(fmt.Sprintf("http://%s/photos/pending?limit=100&after=%s", addrs.HTTP, middle)))
	b.Run("count-uncached", query(func(ctx context.Context) error {
		_, err := db.CountByStatus(ctx)
		return err
	}))
	if _, err := conn.Exec(context.Background(), `DROP INDEX photos_failed_recent_idx`); err != nil {
		b.Fatal(err)
	}
	b.Run("failures-list-unindexed", query(func(ctx context.Context) error {
		_, err := db.RecentFailures(ctx, 20)
		return err
	}))
}

func mustGet(b *testing.B, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
}

// timed runs fn b.N times and reports its 95th percentile too.
func timed(b *testing.B, fn func()) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		fn()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*95/100])/float64(time.Millisecond), "p95-ms")
}

// fillPhotos inserts rows photos in one statement, spread over a year, then analyzes the
// table as autovacuum would.
func fillPhotos(b *testing.B, conn *pgx.Conn, rows int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	if _, err := conn.Exec(ctx, `
INSERT INTO photos (url, status, created_at, updated_at, attempts, failure_reason, lease_until)
SELECT 'https://photos.example/' || i || '.jpg', s.status,
    now() - interval '1 year' + i * (interval '1 year' / $1::int), now() - interval '1 year' + i * (interval '1 year' / $1::int) + interval '1 minute',
    CASE WHEN s.status = 'pending' THEN 0 ELSE 1 END,
    CASE WHEN s.status = 'failed' THEN '404 Not Found' END,
    CASE WHEN s.status = 'processing' THEN now() + interval '5 minutes' END
FROM generate_series(1, $1::int) AS i,
LATERAL (SELECT (CASE WHEN i % 100 < 85 THEN 'completed' WHEN i % 100 < 95 THEN 'pending'
                      WHEN i % 100 < 99 THEN 'failed' ELSE 'processing' END)::photo_status AS status) s`, rows); err != nil {
		b.Fatalf("fill photos: %v", err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE photos`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d photos inserted and analyzed in %s", rows, time.Since(start).Round(time.Second))
}

// middlePending is the pending photo halfway through the pending pages.
func middlePending(b *testing.B, conn *pgx.Conn) string {
	b.Helper()
	var id string
	if err := conn.QueryRow(context.Background(), `
SELECT uuid::text FROM photos WHERE status = 'pending' ORDER BY created_at, uuid
OFFSET (SELECT count(*) / 2 FROM photos WHERE status = 'pending') LIMIT 1`).Scan(&id); err != nil {
		b.Fatal(err)
	}
	return id
}

// serveForBench runs a daemon on the database at uri until the benchmark ends.
func serveForBench(b *testing.B, client *http.Client, uri string) Addrs {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Store.URI = uri
	cfg.Queue = queuetest.Config(b)
	cfg.HTTPAddr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ThumbStore.Dir = b.TempDir()
	cfg.Pool.Workers = 1
	cfg.Queue.Prefetch = cfg.Pool.Prefetch()
	queuetest.Cleanup(b, cfg.Queue)
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan Addrs, 1), make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a Addrs) { started <- a }) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("daemon: %v", err)
		}
	})
	select {
	case a := <-started:
		waitReady(b, client, a.Admin)
		return a
	case err := <-done:
		b.Fatalf("daemon did not start: %v", err)
		return Addrs{}
	}
}

func waitReady(b *testing.B, client *http.Client, admin string) {
	b.Helper()
	testkit.EventuallyWithin(b, time.Minute, "the daemon to be ready", func() bool {
		resp, err := client.Get("http://" + admin + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var body struct{ Status string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return body.Status == "ready"
	})
}
