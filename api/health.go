package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

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

func (a *API) registerHealth() {
	huma.Register(a.huma, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness: the process is serving",
		Tags:        []string{"health"},
	}, healthz)
	huma.Register(a.huma, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness: Postgres and RabbitMQ answer",
		Description: "200 when every dependency this process needs answers, 503 otherwise.",
		Tags:        []string{"health"},
		Responses: map[string]*huma.Response{
			"503": {Description: "A dependency does not answer.", Content: map[string]*huma.MediaType{
				"application/json": {Schema: a.huma.OpenAPI().Components.Schemas.Schema(typeOf[ReadyStatus](), true, "")},
			}},
		},
	}, a.ready)
}

func healthz(context.Context, *struct{}) (*healthOutput, error) {
	out := &healthOutput{}
	out.Body.Status = "ok"
	return out, nil
}

func (a *API) ready(ctx context.Context, _ *struct{}) (*readyOutput, error) {
	out := &readyOutput{Status: http.StatusOK, Body: ReadyStatus{Status: "ready", Checks: map[string]string{}}}
	for _, c := range a.deps.Ready {
		cctx, cancel := context.WithTimeout(ctx, readyTimeout)
		err := c.Check(cctx)
		cancel()
		if err != nil {
			a.logger(ctx).Warn("not ready", "check", c.Name, "err", err)
			out.Status = http.StatusServiceUnavailable
			out.Body.Status = "not ready"
			out.Body.Checks[c.Name] = "unavailable"
			continue
		}
		out.Body.Checks[c.Name] = "ok"
	}
	return out, nil
}
