package admin

import (
	"context"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/httpx"
)

// RetryResult says which failed photos were queued again and which not, as PUT
// /photos/process reports it.
type RetryResult struct {
	PhotosQueued      []QueuedPhoto  `json:"photos_queued"`
	PhotosQueuedCount int            `json:"photos_queued_count"`
	Skipped           []SkippedPhoto `json:"skipped"`
}

// QueuedPhoto is a photo whose message the broker confirmed.
type QueuedPhoto struct {
	UUID   uuid.UUID `json:"uuid"`
	URL    string    `json:"url"`
	Status string    `json:"status" doc:"The photo's status when it was queued."`
}

// SkippedPhoto is a photo that was not queued, and why.
type SkippedPhoto struct {
	UUID   uuid.UUID `json:"uuid"`
	Status string    `json:"status"`
	Reason string    `json:"reason"`
}

type retryInput struct {
	Body struct {
		UUIDs []string `json:"uuids,omitempty" maxItems:"1000" format:"uuid" doc:"Failed photos to retry; empty or absent retries the oldest failed photos, up to 1000."`
	}
}

type retryOutput struct{ Body RetryResult }

func (ad *admin) retryFailed(ctx context.Context, in *retryInput) (*retryOutput, error) {
	var ids []uuid.UUID
	for _, s := range in.Body.UUIDs {
		ids = append(ids, uuid.MustParse(s)) // validated as uuids by huma
	}
	if len(ids) == 0 {
		var err error
		if ids, err = ad.deps.Store.FailedPhotos(ctx, enqueue.MaxBatch); err != nil {
			return nil, ad.internal(ctx, "list failed photos", err)
		}
		if len(ids) == 0 {
			return &retryOutput{Body: toRetryResult(enqueue.Result{})}, nil
		}
	}
	res, err := ad.deps.Queuer.Queue(ctx, ids)
	if err != nil {
		return nil, ad.queueProblem(ctx, err)
	}
	ad.logger(ctx).Info("admin action", "action", "retry-failed", "queued", len(res.Queued))
	return &retryOutput{Body: toRetryResult(res)}, nil
}

func toRetryResult(res enqueue.Result) RetryResult {
	out := RetryResult{PhotosQueued: make([]QueuedPhoto, 0, len(res.Queued)), Skipped: make([]SkippedPhoto, 0, len(res.Skipped))}
	for _, q := range res.Queued {
		out.PhotosQueued = append(out.PhotosQueued, QueuedPhoto{UUID: q.UUID, URL: q.URL, Status: string(q.Status)})
	}
	for _, s := range res.Skipped {
		out.Skipped = append(out.Skipped, SkippedPhoto{UUID: s.UUID, Status: string(s.Status), Reason: s.Reason})
	}
	out.PhotosQueuedCount = len(out.PhotosQueued)
	return out
}

// queueProblem turns queueing's errors into this listener's problems.
func (ad *admin) queueProblem(ctx context.Context, err error) error {
	return httpx.QueueProblem(ctx, ad.log, err, "body.uuids[%d]")
}
