package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/danielgtaylor/huma/v2"

	"github.com/photoproc/photoproc/enqueue"
)

// QueueProblem turns the errors of package enqueue into the problems both listeners send: 404
// listing the unknown UUIDs (nothing queued), 503 when the broker is down (nothing queued) or
// failed part-way (those not confirmed listed, to send again), 500 otherwise. location is where
// the i-th UUID sits in the request body, as a format for fmt.Sprintf ("body[%d]").
func QueueProblem(ctx context.Context, log *slog.Logger, err error, location string) error {
	var unknown *enqueue.UnknownPhotosError
	var failed *enqueue.PublishError
	switch {
	case errors.As(err, &unknown):
		details := make([]error, 0, len(unknown.Photos))
		for _, u := range unknown.Photos {
			details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf(location, u.Index), Value: u.UUID, Message: "no photo has this UUID"})
		}
		return huma.Error404NotFound(fmt.Sprintf("%d of the UUIDs name no photo; nothing was queued. Remove them and send the request again.", len(details)), details...)
	case errors.Is(err, enqueue.ErrBrokerUnavailable):
		return huma.Error503ServiceUnavailable("The message broker is unavailable; nothing was queued. Try again shortly.")
	case errors.As(err, &failed):
		requested := len(failed.Confirmed) + len(failed.Unconfirmed)
		RequestLogger(ctx, log).Error("publish failed", "queued", len(failed.Confirmed), "requested", requested, "err", failed.Err)
		// The ones the broker did confirm are queued and will be processed; the rest are
		// listed, so a client knows what to send again.
		details := make([]error, 0, len(failed.Unconfirmed))
		for _, id := range failed.Unconfirmed {
			details = append(details, &huma.ErrorDetail{Value: id, Message: "not queued: send again"})
		}
		return huma.Error503ServiceUnavailable(fmt.Sprintf(
			"The message broker failed while queueing: %d of %d photos were queued; those listed under errors were not. Send them again shortly.",
			len(failed.Confirmed), requested), details...)
	default:
		return Internal(ctx, log, "queue photos", err)
	}
}
