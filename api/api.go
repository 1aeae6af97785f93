package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/openapi"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// Store is what the API reads from the database.
type Store interface {
	ListPending(ctx context.Context, after uuid.UUID, limit int) ([]store.Photo, error)
	Photo(ctx context.Context, id uuid.UUID) (store.Photo, []store.Thumbnail, error)
}

// Queuer queues photos (enqueue.Queuer).
type Queuer interface {
	Queue(ctx context.Context, ids []uuid.UUID) (enqueue.Result, error)
	Backfill(ctx context.Context, ids []uuid.UUID) (enqueue.Result, error)
}

// ThumbStore reads stored thumbnails by the URL their row records.
type ThumbStore interface {
	Open(ctx context.Context, url string) (*thumbstore.Object, error)
	// Presign returns a link that fetches the thumbnail without credentials for expiry.
	Presign(ctx context.Context, url string, expiry time.Duration) (string, error)
}

// Deps are the API's collaborators. Queuer may be nil when this process cannot queue
// (PUT /photos/process then answers 503).
type Deps struct {
	Store      Store
	Queuer     Queuer
	ThumbStore ThumbStore
	Ready      []httpx.Check
	Logger     *slog.Logger
}

// API is the public HTTP API.
type API struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	huma huma.API
	mux  *http.ServeMux
	// thumbs serves GET /photos/{uuid}/thumbnail.
	thumbs *httpx.Thumbnails
}

// New builds the public API.
func New(cfg Config, deps Deps) (*API, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.ThumbStore == nil {
		return nil, errors.New("no thumbnail storage")
	}
	return newAPI(cfg, deps), nil
}

func newAPI(cfg Config, deps Deps) *API {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{cfg: cfg, deps: deps, log: deps.Logger.With("component", "api"), mux: http.NewServeMux()}
	a.thumbs = &httpx.Thumbnails{Photos: deps.Store, Store: deps.ThumbStore, CacheControl: "public, max-age=86400", Log: a.log}
	if cfg.ThumbnailDelivery == DeliveryPresigned {
		a.thumbs.PresignExpiry = cfg.PresignExpiry
	}
	hc := huma.DefaultConfig("photoproc", cfg.Version)
	hc.Info.Description = "Queue photos for thumbnailing and read the results. " +
		"Every error is an RFC 9457 problem (application/problem+json)."
	hc.DocsPath = "" // the built-in page loads its scripts from a CDN; openapi.Viewer works offline
	httpx.NoSchemaLinks(&hc)
	a.huma = humago.New(a.mux, hc)
	a.registerPhotos()
	a.registerProcess()
	a.registerBackfill()
	httpx.RegisterHealth(a.huma, deps.Ready, a.log)
	docs := openapi.Viewer("photoproc API", "/openapi.json")
	a.mux.Handle("GET /docs", docs)
	a.mux.Handle("GET /docs/", docs)
	return a
}

// Handler serves the API with request ids, access logs and panic recovery.
func (a *API) Handler() http.Handler { return httpx.WithRequestLog(a.mux, a.log) }

// OpenAPIYAML returns the OpenAPI document of the public API (for `photoproc openapi`).
func OpenAPIYAML() ([]byte, error) {
	return newAPI(DefaultConfig(), Deps{}).huma.OpenAPI().YAML()
}
