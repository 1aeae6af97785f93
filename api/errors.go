package api

import (
	"context"
	"log/slog"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// Internal logs an unexpected failure with the request id (through the request's logger, or
// log outside a request) and returns a 500 problem that carries no internal detail: only the
// id a user can quote to an operator. The admin listener answers its failures with it too.
func Internal(ctx context.Context, log *slog.Logger, what string, err error) error {
	id := requestID(ctx)
	RequestLogger(ctx, log).Error(what+" failed", "err", err)
	return huma.Error500InternalServerError("Something went wrong on our side. Quote request id " + id + " when reporting it.")
}

func (a *API) internal(ctx context.Context, what string, err error) error {
	return Internal(ctx, a.log, what, err)
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }
