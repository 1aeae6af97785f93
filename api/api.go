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

	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/openapi"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// Store is what the API reads from the database, and what queueing needs (QueueStore).
type Store interface {
	QueueStore
	ListPending(ctx context.Context, after uuid.UUID, limit int) ([]store.Photo, error)
	Photo(ctx context.Context, id uuid.UUID) (store.Photo, []store.Thumbnail, error)
}

// Publisher queues photos on the broker and says whether it can.
type Publisher interface {
	Publish(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error)
	Connected() bool
}

// ThumbStore reads stored thumbnails by the URL their row records.
type ThumbStore interface {
	Open(ctx context.Context, url string) (*thumbstore.Object, error)
	// Presign returns a link that fetches the thumbnail without credentials for expiry.
	Presign(ctx context.Context, url string, expiry time.Duration) (string, error)
}

// Check is one readiness check: nil when the dependency answers.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
	// Reason says in a word what a failure of Check is (thumbnail storage: "full",
	// "read_only", "refused"…), safe to show anyone: no paths, hosts or messages. nil:
	// "unavailable".
	Reason func(error) string
}

// Deps are the API's collaborators. Publisher may be nil when this process does not publish.
type Deps struct {
	Store      Store
	Publisher  Publisher
	ThumbStore ThumbStore
	Ready      []Check
	Metrics    *metrics.Metrics
	Logger     *slog.Logger
}

// API is the public HTTP API.
type API struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	huma huma.API
	mux  *http.ServeMux
	// queuer queues for PUT /photos/process; the admin listener is given its own over the
	// same store and publisher.
	queuer *Queuer
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
	a.queuer = NewQueuer(deps.Store, deps.Publisher, deps.Metrics, a.log)
	hc := huma.DefaultConfig("photoproc", cfg.Version)
	hc.Info.Description = "Queue photos for thumbnailing and read the results. " +
		"Every error is an RFC 9457 problem (application/problem+json)."
	hc.DocsPath = "" // the built-in page loads its scripts from a CDN; openapi.Viewer works offline
	NoSchemaLinks(&hc)
	a.huma = humago.New(a.mux, hc)
	a.registerPhotos()
	a.registerProcess()
	RegisterHealth(a.huma, deps.Ready, a.log)
	docs := openapi.Viewer("photoproc API", "/openapi.json")
	a.mux.Handle("GET /docs", docs)
	a.mux.Handle("GET /docs/", docs)
	return a
}

// Handler serves the API with request ids, access logs and panic recovery.
func (a *API) Handler() http.Handler { return WithRequestLog(a.mux, a.log) }

// OpenAPIYAML returns the OpenAPI document of the public API (for `photoproc openapi`).
func OpenAPIYAML() ([]byte, error) {
	return newAPI(DefaultConfig(), Deps{}).huma.OpenAPI().YAML()
}

// NoSchemaLinks keeps response bodies exactly as documented (both listeners): huma's default hook adds a
// "$schema" field to every object and a rel="describedBy" Link header, which would mix with the
// paging Link header of /photos/pending.
func NoSchemaLinks(hc *huma.Config) {
	hc.CreateHooks = nil
	hc.SchemasPath = ""
}
