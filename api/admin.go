package api

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
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
	// actions are refused unless it does.
	Loopback bool
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
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
		_, _ = w.Write(adminHTML)
	})
	return withRequestLog(ad.guard(mux), log), nil
}

// guard lets reads through and requires the token for actions.
func (ad *admin) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		switch {
		case ad.cfg.Token != "":
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(ad.cfg.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="photoproc admin"`)
				writeProblem(w, http.StatusUnauthorized, "Admin actions need the admin token: send Authorization: Bearer <PHOTOPROC_ADMIN_TOKEN>.")
				return
			}
		case !ad.cfg.Loopback:
			writeProblem(w, http.StatusForbidden, "Admin actions are disabled: the admin listener is not on loopback and PHOTOPROC_ADMIN_TOKEN is not set.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"title":%q,"status":%d,"detail":%q}`, http.StatusText(status), status, detail)
}
