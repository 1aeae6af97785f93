package api

import (
	"context"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// internal logs an unexpected failure with the request id and returns a 500 problem that
// carries no internal detail: only the id a user can quote to an operator.
func (a *API) internal(ctx context.Context, what string, err error) error {
	id := requestID(ctx)
	a.logger(ctx).Error(what+" failed", "err", err)
	return huma.Error500InternalServerError("Something went wrong on our side. Quote request id " + id + " when reporting it.")
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }
