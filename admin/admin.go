package admin

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/openapi"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// Config configures the admin listener.
type Config struct {
	// Token is the bearer token admin actions (POST) require (PHOTOPROC_ADMIN_TOKEN); empty
	// means none. Read-only pages stay open.
	Token string
	// Loopback says the admin listener only accepts local connections. Without a token,
	// actions are refused unless it does, and unless the request came through no proxy.
	Loopback bool
	// Hosts are the names, besides IP addresses and localhost, that requests may address the
	// listener by (PHOTOPROC_ADMIN_HOSTS): the compose service name Prometheus scrapes, the
	// name of a reverse proxy that keeps Host. Other names are refused (DNS rebinding).
	Hosts []string
}

// Store is what the admin page reads from the database.
type Store interface {
	CountByStatus(ctx context.Context) (map[store.Status]int64, error)
	RecentFailures(ctx context.Context, limit int) ([]store.Photo, error)
	FailedPhotos(ctx context.Context, limit int) ([]uuid.UUID, error)
	StuckPhotos(ctx context.Context, olderThan time.Duration, limit int) ([]uuid.UUID, error)
	Photo(ctx context.Context, id uuid.UUID) (store.Photo, []store.Thumbnail, error)
	RecentPrimaries(ctx context.Context, limit int) ([]store.Thumbnail, error)
}

// Counts counts photos by status, cheaply: the daemon passes a cache shared with /metrics
// (the page asks every 2 s per open tab, and counting scans every photo).
type Counts interface {
	CountByStatus(ctx context.Context) (map[store.Status]int64, error)
}

// Queuer queues photos as PUT /photos/process does (enqueue.Queuer).
type Queuer interface {
	Queue(ctx context.Context, ids []uuid.UUID) (enqueue.Result, error)
}

// Publisher publishes photos' messages as they are, for photos stuck in processing, which
// queueing would skip.
type Publisher interface {
	Publish(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error)
	Connected() bool
}

// QueueStats reads the depth of the queues.
type QueueStats interface {
	QueueStats(ctx context.Context) (queue.QueueStats, error)
}

// PoolControl is the worker pool as the admin page sees it; nil on an api-only process.
type PoolControl interface {
	Pause()
	Resume()
	Paused() (bool, []string)
	Stats() metrics.PoolStats
}

// ThumbStore reads stored thumbnails by the URL their row records, from whichever store
// holds them, and their size for a photo's details. This listener never presigns (a link
// would send the page to another origin).
type ThumbStore interface {
	httpx.ThumbStore
	Stat(ctx context.Context, url string) (thumbstore.Info, error)
}

// History is the last hour of this process's throughput, latency and failures
// (metrics.History).
type History interface {
	Points(now time.Time) []metrics.Point
	Step() time.Duration
}

// Deps are the admin listener's collaborators. Pool and History may be nil.
type Deps struct {
	Gatherer   prometheus.Gatherer
	Store      Store
	Counts     Counts // default Store, uncached
	Queuer     Queuer
	Publisher  Publisher
	Queue      QueueStats
	Pool       PoolControl
	ThumbStore ThumbStore
	History    History
	Ready      []httpx.Check
	Logger     *slog.Logger
	// ThumbStoreName says where thumbnails are stored, for the page.
	ThumbStoreName string
	// Now is the clock History is read by; default time.Now.
	Now func() time.Time
}

//go:embed admin.html
var adminHTML []byte

// pageCSP lets the page run its own inline script and style and load from its own listener
// only (thumbnails included): no CDN, no fonts or scripts from elsewhere. Charts are SVG the
// script draws.
const pageCSP = "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"

type admin struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	thumbs *httpx.Thumbnails
}

// New builds the admin listener's handler: the admin page at /, its JSON API under /api
// (documented at /api/openapi.json and /docs), /metrics, /healthz and /readyz.
func New(cfg Config, deps Deps) (http.Handler, error) {
	if deps.Store == nil || deps.Queuer == nil || deps.ThumbStore == nil {
		return nil, fmt.Errorf("admin needs a store, a queuer and the thumbnail storage")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Counts == nil {
		deps.Counts = deps.Store
	}
	ad := &admin{cfg: cfg, deps: deps, log: deps.Logger.With("component", "admin")}
	// No caching: a retried photo gets a new thumbnail.
	ad.thumbs = &httpx.Thumbnails{Photos: deps.Store, Store: deps.ThumbStore, CacheControl: "private, no-cache", Log: ad.log}

	mux := http.NewServeMux()
	hc := huma.DefaultConfig("photoproc admin", "1")
	hc.OpenAPIPath = "/api/openapi"
	hc.DocsPath = ""
	httpx.NoSchemaLinks(&hc)
	h := humago.New(mux, hc)
	httpx.RegisterHealth(h, deps.Ready, ad.log)
	ad.register(h)
	ad.registerPhotos(h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(deps.Gatherer, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	docs := openapi.Viewer("photoproc admin API", "/api/openapi.json")
	mux.Handle("GET /docs", docs)
	mux.Handle("GET /docs/", docs)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", pageCSP)
		_, _ = w.Write(adminHTML)
	})
	return httpx.WithRequestLog(ad.protect(mux), ad.log), nil
}

func (ad *admin) logger(ctx context.Context) *slog.Logger { return httpx.RequestLogger(ctx, ad.log) }

func (ad *admin) internal(ctx context.Context, what string, err error) error {
	return httpx.Internal(ctx, ad.log, what, err)
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"title":%q,"status":%d,"detail":%q}`, http.StatusText(status), status, detail)
}
