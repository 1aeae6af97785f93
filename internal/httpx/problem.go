package httpx

import (
	"context"
	"log/slog"

	"github.com/danielgtaylor/huma/v2"
)

// Internal logs an unexpected failure with the request id (through the request's logger, or
// log outside a request) and returns a 500 problem that carries no internal detail: only the
// id a user can quote to an operator. Both listeners answer their failures with it.
func Internal(ctx context.Context, log *slog.Logger, what string, err error) error {
	RequestLogger(ctx, log).Error(what+" failed", "err", err)
	return huma.Error500InternalServerError(internalDetail(RequestID(ctx)))
}

// internalDetail is what a client is told of a failure on our side: the id to quote.
func internalDetail(requestID string) string {
	return "Something went wrong on our side. Quote request id " + requestID + " when reporting it."
}

// NoSchemaLinks keeps response bodies exactly as documented (both listeners): huma's default
// hook adds a "$schema" field to every object and a rel="describedBy" Link header, which would
// mix with the paging Link header of /photos/pending.
func NoSchemaLinks(hc *huma.Config) {
	hc.CreateHooks = nil
	hc.SchemasPath = ""
}
