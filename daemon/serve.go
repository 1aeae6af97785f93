package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/photoproc/photoproc/admin"
	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/fetch"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/pool"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// Addrs are the addresses a running daemon listens on (useful when configured with port 0).
type Addrs struct {
	HTTP, Admin string
}

// Serve runs the daemon until ctx ends or a listener fails, then stops every component in
// reverse order of start. started, when not nil, is called with the bound addresses once
// every component is up.
func Serve(ctx context.Context, cfg Config, log *slog.Logger, started func(Addrs)) (err error) {
	lc := &lifecycle{log: log}
	defer func() {
		log.Info("stopping", "within", StopTimeout(cfg))
		// The unit's TimeoutStopSec matches the default PHOTOPROC_SHUTDOWN_TIMEOUT; a longer
		// one is asked for here, so systemd does not kill a drain it was configured to allow.
		_ = sdNotify(fmt.Sprintf("STOPPING=1\nEXTEND_TIMEOUT_USEC=%d", StopTimeout(cfg).Microseconds()))
		lc.stop()
		log.Info("stopped")
	}()
	failed := make(chan error, 2)
	if cfg.AdminToken == "" && !loopback(cfg.AdminAddr) {
		log.Warn("admin listener is not on loopback and PHOTOPROC_ADMIN_TOKEN is unset: admin actions are refused", "admin", cfg.AdminAddr)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	hist := runHistory(ctx, lc, m)

	st, err := store.Open(ctx, cfg.Store, log)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	lc.onStop("store", func(context.Context) error { st.Close(); return nil })
	metrics.RegisterDBPool(reg, st.Stat)
	// Counting photos scans them all: the admin page and /metrics share one count every 15s.
	photoCounts := store.NewCountCache(st, 15*time.Second)
	lc.onStop("photo counts", func(context.Context) error { photoCounts.Close(); return nil })
	metrics.RegisterPhotoCounts(reg, func(ctx context.Context) (map[string]int64, error) {
		counts, err := photoCounts.CountByStatus(ctx)
		out := make(map[string]int64, len(counts))
		for s, n := range counts {
			out[string(s)] = n
		}
		return out, err
	})

	// The one owner of the thumbnails, for the workers and the API alike. A bucket that is not
	// there yet does not stop the start: readiness says so, and the workers wait for it.
	thumbStore, err := thumbstore.Open(cfg.ThumbStore, thumbstore.Deps{Metrics: m, Logger: log})
	if err != nil {
		return fmt.Errorf("open storage: %w", err)
	}
	lc.onStop("storage", func(context.Context) error { return thumbStore.Close() })

	pub, err := queue.NewPublisher(cfg.Queue, log)
	if err != nil {
		return fmt.Errorf("open publisher: %w", err)
	}
	lc.onStop("publisher", pub.Close)
	metrics.RegisterBroker(reg, "publish", pub.Connected)
	checks := []httpx.Check{
		{Name: "postgres", Check: st.Ping},
		{Name: "rabbitmq", Check: connected(pub.Connected)},
		{Name: "storage", Check: thumbStore.Check, Reason: thumbstore.Kind},
	}

	var workers *pool.Pool
	if cfg.Role != RoleAPI {
		var consuming httpx.Check
		if workers, consuming, err = startWorkers(cfg, lc, st, thumbStore, pub, m, reg, log); err != nil {
			return err
		}
		checks = append(checks, consuming)
	}

	// One way of queueing photos, for PUT /photos/process and the admin page's retry alike. A
	// retry is lost, and its photo may be queued again, by the sweeper's rule: a lease late. A
	// backfill queues the completed photos without one of the thumbnails the workers make.
	queuer, err := enqueue.New(enqueue.Config{LostRetryAfter: cfg.Pool.Lease,
		Wanted: store.Variants(cfg.Imaging.Boxes(), cfg.Imaging.Formats)}, st, pub, m)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	var addrs Addrs
	if cfg.Role != RoleWorker {
		apiCfg := cfg.API
		apiCfg.ThumbnailSizes = cfg.Imaging.Boxes() // the first is what the thumbnail route serves by default
		a, err := api.New(apiCfg, api.Deps{Store: st, Queuer: queuer, ThumbStore: thumbStore, Ready: checks, Logger: log})
		if err != nil {
			return fmt.Errorf("api: %w", err)
		}
		if addrs.HTTP, err = listen(lc, "http", cfg.HTTPAddr, a.Handler(), failed, log); err != nil {
			return err
		}
	}
	adminHandler, err := admin.New(admin.Config{Token: cfg.AdminToken, Loopback: loopback(cfg.AdminAddr), Hosts: adminHosts(cfg)}, admin.Deps{
		Gatherer: reg, Store: st, Counts: photoCounts, Queuer: queuer, Publisher: pub, Queue: pub,
		Pool: workerControl(workers), ThumbStore: thumbStore, History: hist, Ready: checks, Logger: log,
		ThumbStoreName: thumbStore.String(),
	})
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if addrs.Admin, err = listen(lc, "admin", cfg.AdminAddr, adminHandler, failed, log); err != nil {
		return err
	}

	log.Info("started", "role", cfg.Role, "http", addrs.HTTP, "admin", addrs.Admin,
		"workers", cfg.Pool.Workers, "queue", cfg.Queue.Queue, "storage", thumbStore.String(),
		"jpeg_codec", imaging.JPEGCodec, "heif_codec", imaging.HEIFSupport(), "colour_profiles", imaging.ColourEngine(),
		"encoders", imaging.EncoderSupport())
	if workers != nil && imaging.JPEGCodec != "libjpeg-turbo" {
		log.Warn("JPEG photos are decoded by Go's image/jpeg, about 6 times the CPU per photo of libjpeg-turbo: " +
			"build with libjpeg-turbo's header installed (Debian: libturbojpeg0-dev) for the fast codec")
	}
	if workers != nil && imaging.HEIFCodec != "libheif" {
		log.Warn("HEIC and AVIF photos will fail as unsupported: this build has no libheif; " +
			"build with cgo and libheif's header installed (Debian: libheif-dev) to decode them")
	}
	_ = sdNotify("READY=1")
	if started != nil {
		started(addrs)
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-failed:
		return err
	}
}

// startWorkers builds the consuming side: consumer → pool → (fetch, imaging, store), and
// returns the readiness check of its broker connection.
// Teardown runs in reverse: stop consuming, drain the pool, close the consumer's channel.
func startWorkers(cfg Config, lc *lifecycle, st *store.DB, thumbStore *thumbstore.Store, pub *queue.Publisher, m *metrics.Metrics, reg prometheus.Registerer, log *slog.Logger) (*pool.Pool, httpx.Check, error) {
	// A temporary file older than this process was left by a write that never finished: a
	// crash, a kill, a full disk. This process has written nothing yet, so the cutoff spares
	// none of its own; one another worker process (sharing the directory) is writing at this
	// very instant could go too, which costs that photo one retry, never a partial file.
	if n, err := thumbStore.RemoveLeftovers(context.Background(), time.Now()); err != nil {
		log.Warn("removing temporary files left by an earlier run failed", "storage", thumbStore.String(), "removed", n, "err", err)
	} else if n > 0 {
		log.Info("removed temporary files left by an earlier run", "storage", thumbStore.String(), "removed", n)
	}
	fetcher, err := fetch.New(cfg.Fetch)
	if err != nil {
		return nil, httpx.Check{}, fmt.Errorf("fetch: %w", err)
	}
	lc.onStop("fetcher", func(context.Context) error { fetcher.Close(); return nil })
	maker, err := imaging.New(cfg.Imaging)
	if err != nil {
		return nil, httpx.Check{}, fmt.Errorf("imaging: %w", err)
	}
	lc.onStop("imaging", func(context.Context) error { maker.Close(); return nil })
	cons, err := queue.NewConsumer(cfg.Queue, pub, log)
	if err != nil {
		return nil, httpx.Check{}, fmt.Errorf("open consumer: %w", err)
	}
	lc.onStop("consumer", func(context.Context) error { return cons.Close() })
	metrics.RegisterBroker(reg, "consume", cons.Connected)

	workers, err := pool.New(cfg.Pool, pool.Deps{
		Store: st, Broker: pub, Fetcher: fetcher, Thumbnailer: maker, ThumbStore: thumbStore, Intake: cons, Metrics: m, Logger: log,
	})
	if err != nil {
		return nil, httpx.Check{}, fmt.Errorf("pool: %w", err)
	}
	// The drain gets all of PHOTOPROC_SHUTDOWN_TIMEOUT (the pool times it), then handBackTime
	// to hand back what it cut short.
	lc.onStopWithin("pool", cfg.Pool.ShutdownTimeout+handBackTime, func(ctx context.Context) error {
		workers.Stop(ctx)
		return nil
	})
	metrics.RegisterPool(reg, workers.Stats())
	metrics.RegisterDownloads(reg, workers.Downloading)
	metrics.RegisterWriting(reg, workers.Writing)

	run, stopRun := context.WithCancel(context.Background())
	consuming := make(chan struct{})
	go func() {
		defer close(consuming)
		if err := cons.Run(run, func(d *queue.Delivery) { workers.Handle(d) }); err != nil {
			log.Error("consumer stopped", "err", err)
		}
	}()
	sweeping := make(chan struct{})
	go func() {
		defer close(sweeping)
		pool.Sweep(run, cfg.Pool, st, pub, m, log)
	}()
	lc.onStop("consuming", func(context.Context) error {
		stopRun()
		<-consuming
		<-sweeping
		return nil
	})
	// A worker whose consume connection is down takes no photos, even while publishing works.
	return workers, httpx.Check{Name: "rabbitmq-consume", Check: connected(cons.Connected)}, nil
}

// listen binds addr before returning, so a taken port fails start-up, then serves h until
// the lifecycle stops it.
func listen(lc *lifecycle, name, addr string, h http.Handler, failed chan<- error, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s listener: %w", name, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("%s listener: %w", name, err)
		}
	}()
	lc.onStop(name+" listener", srv.Shutdown)
	return ln.Addr().String(), nil
}

func connected(f func() bool) func(context.Context) error {
	return func(context.Context) error {
		if !f() {
			return errors.New("not connected")
		}
		return nil
	}
}

// adminHosts are the names the admin listener answers to besides IP addresses and localhost:
// PHOTOPROC_ADMIN_HOSTS, and the name it listens on, if PHOTOPROC_ADMIN_ADDR gives one.
func adminHosts(cfg Config) []string {
	hosts := cfg.AdminHosts
	if host, _, err := net.SplitHostPort(cfg.AdminAddr); err == nil && host != "" && net.ParseIP(host) == nil {
		hosts = append(slices.Clip(hosts), host)
	}
	return hosts
}

// runHistory keeps the last hour of m, a minute a point, for the admin page's charts, until
// ctx ends or the daemon stops.
func runHistory(ctx context.Context, lc *lifecycle, m *metrics.Metrics) *metrics.History {
	hist := metrics.NewHistory(m, time.Minute, 60, time.Now())
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		hist.Run(ctx, time.Now)
	}()
	lc.onStop("history", func(context.Context) error {
		cancel()
		<-done
		return nil
	})
	return hist
}

// workerControl hands the admin page the pool, or nothing on an api-only process.
func workerControl(p *pool.Pool) admin.PoolControl {
	if p == nil {
		return nil
	}
	return p
}
