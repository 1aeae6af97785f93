package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Check is one readiness check: nil when the dependency answers.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

type healthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok"`
	}
}

// ReadyStatus is the readiness of each dependency.
type ReadyStatus struct {
	Status string            `json:"status" enum:"ready,not ready"`
	Checks map[string]string `json:"checks" doc:"\"ok\" or what is wrong, by dependency."`
}

type readyOutput struct {
	Status int
	Body   ReadyStatus
}

// readyTimeout bounds each readiness check, so a hung dependency reads as not ready.
const readyTimeout = 2 * time.Second

// RegisterHealth registers GET /healthz and GET /readyz, which runs checks, on h: the
// public and the admin listener answer them alike.
func RegisterHealth(h huma.API, checks []Check, log *slog.Logger) {
	huma.Register(h, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness: the process is serving",
		Tags:        []string{"health"},
	}, healthz)
	huma.Register(h, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness: Postgres and RabbitMQ answer",
		Description: "200 when every dependency this process needs answers, 503 otherwise.",
		Tags:        []string{"health"},
		Responses: map[string]*huma.Response{
			"503": {Description: "A dependency does not answer.", Content: map[string]*huma.MediaType{
				"application/json": {Schema: h.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[ReadyStatus](), true, "")},
			}},
		},
	}, func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		out := &readyOutput{Body: Readiness(ctx, checks, log)}
		out.Status = http.StatusOK
		if out.Body.Status != "ready" {
			out.Status = http.StatusServiceUnavailable
		}
		return out, nil
	})
}

func healthz(context.Context, *struct{}) (*healthOutput, error) {
	out := &healthOutput{}
	out.Body.Status = "ok"
	return out, nil
}

// Readiness runs every check, each bounded by readyTimeout, and logs those that fail.
func Readiness(ctx context.Context, checks []Check, log *slog.Logger) ReadyStatus {
	st := ReadyStatus{Status: "ready", Checks: map[string]string{}}
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, readyTimeout)
		err := c.Check(cctx)
		cancel()
		if err != nil {
			RequestLogger(ctx, log).Warn("not ready", "check", c.Name, "err", err)
			st.Status = "not ready"
			st.Checks[c.Name] = "unavailable"
			continue
		}
		st.Checks[c.Name] = "ok"
	}
	return st
}
