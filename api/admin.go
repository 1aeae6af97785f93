package api

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

	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/openapi"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/store"
)

// AdminConfig configures the admin listener.
type AdminConfig struct {
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

// AdminStore is what the admin page reads and changes in the database.
type AdminStore interface {
	Store
	CountByStatus(ctx context.Context) (map[store.Status]int64, error)
	RecentFailures(ctx context.Context, limit int) ([]store.Photo, error)
	FailedPhotos(ctx context.Context, limit int) ([]uuid.UUID, error)
	StuckPhotos(ctx context.Context, olderThan time.Duration, limit int) ([]uuid.UUID, error)
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

// AdminDeps are the admin listener's collaborators.
type AdminDeps struct {
	Gatherer  prometheus.Gatherer
	Store     AdminStore
	Publisher Publisher
	Queue     QueueStats
	Pool      PoolControl
	Ready     []Check
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
	// Storage says where thumbnails are stored, for the page.
	Storage string
}

//go:embed admin.html
var adminHTML []byte

type admin struct {
	cfg  AdminConfig
	deps AdminDeps
	api  *API // queues photos exactly as PUT /photos/process does
}

// NewAdmin builds the admin listener's handler: the admin page at /, its JSON API under
// /api (documented at /api/openapi.json and /docs), /metrics, /healthz and /readyz.
func NewAdmin(cfg AdminConfig, deps AdminDeps) (http.Handler, error) {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	log := deps.Logger.With("component", "admin")
	ad := &admin{cfg: cfg, deps: deps,
		api: newAPI(DefaultConfig(), Deps{Store: deps.Store, Publisher: deps.Publisher, Ready: deps.Ready, Metrics: deps.Metrics, Logger: log})}

	mux := http.NewServeMux()
	hc := huma.DefaultConfig("photoproc admin", "1")
	hc.OpenAPIPath = "/api/openapi"
	hc.DocsPath = ""
	noSchemaLinks(&hc)
	h := humago.New(mux, hc)
	ad.register(h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(deps.Gatherer, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	docs := openapi.Viewer("photoproc admin API", "/api/openapi.json")
	mux.Handle("GET /docs", docs)
	mux.Handle("GET /docs/", docs)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'")
		_, _ = w.Write(adminHTML)
	})
	return withRequestLog(ad.protect(mux), log), nil
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"title":%q,"status":%d,"detail":%q}`, http.StatusText(status), status, detail)
}
