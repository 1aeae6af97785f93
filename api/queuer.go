package api

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// QueueStore is what queueing reads and changes in the database.
type QueueStore interface {
	Photos(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Photo, error)
	Reopen(ctx context.Context, ids []uuid.UUID) error
}

// Queuer queues photos for processing. It is the one way photos are queued over HTTP:
// PUT /photos/process and the admin listener's retry both go through it, so a failed photo
// is reopened, a photo waiting for a retry skipped and an unconfirmed message reported the
// same way from either.
type Queuer struct {
	store     QueueStore
	publisher Publisher // nil: nothing can be queued (503)
	metrics   *metrics.Metrics
	log       *slog.Logger
}

// NewQueuer queues through pub the photos st knows; m (optional) counts the messages, log
// (optional) is used outside a request.
func NewQueuer(st QueueStore, pub Publisher, m *metrics.Metrics, log *slog.Logger) *Queuer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queuer{store: st, publisher: pub, metrics: m, log: log}
}

// Queue queues the queueable photos among ids and reports the rest. Its errors are huma
// status errors ready to send (internal ones logged and reduced to a request id).
func (q *Queuer) Queue(ctx context.Context, ids []uuid.UUID) (ProcessResult, error) {
	res := ProcessResult{PhotosQueued: []QueuedPhoto{}, Skipped: []SkippedPhoto{}}
	if q.publisher == nil || !q.publisher.Connected() {
		return res, brokerUnavailable()
	}
	photos, err := q.store.Photos(ctx, ids)
	if err != nil {
		return res, Internal(ctx, q.log, "look up photos", err)
	}

	var unknown []error
	var queue, reopen []uuid.UUID
	seen := make(map[uuid.UUID]bool, len(ids))
	for i, id := range ids {
		p, ok := photos[id]
		switch {
		case !ok:
			unknown = append(unknown, &huma.ErrorDetail{Location: fmt.Sprintf("body[%d]", i), Value: id, Message: "no photo has this UUID"})
		case seen[id]:
			res.Skipped = append(res.Skipped, SkippedPhoto{UUID: id, Status: string(p.Status), Reason: "duplicate in this request; queued once"})
		case p.Status != store.StatusPending && p.Status != store.StatusFailed:
			res.Skipped = append(res.Skipped, SkippedPhoto{UUID: id, Status: string(p.Status), Reason: skipReason(p.Status)})
		case !p.RetryAt.IsZero():
			// A second message would start a second chain of attempts beside the retry's.
			res.Skipped = append(res.Skipped, SkippedPhoto{UUID: id, Status: string(p.Status),
				Reason: "already queued: waiting for a retry due at " + p.RetryAt.UTC().Format(time.RFC3339)})
		default:
			queue = append(queue, id)
			if p.Status == store.StatusFailed {
				reopen = append(reopen, id)
			}
		}
		seen[id] = true
	}
	if len(unknown) > 0 {
		return res, huma.Error404NotFound(fmt.Sprintf("%d of the UUIDs name no photo; nothing was queued. Remove them and send the request again.", len(unknown)), unknown...)
	}

	// A failed photo is claimed by no message until it is reopened: a stray message (a
	// redelivery, a duplicate) cannot restart a photo that was given up on.
	if len(reopen) > 0 {
		if err := q.store.Reopen(ctx, reopen); err != nil {
			return res, Internal(ctx, q.log, "reopen failed photos", err)
		}
	}
	confirmed, err := q.publisher.Publish(ctx, queue)
	if m := q.metrics; m != nil {
		m.PhotosPublished.Add(float64(len(confirmed)))
		m.PublishFailures.Add(float64(len(queue) - len(confirmed)))
	}
	if err != nil {
		RequestLogger(ctx, q.log).Error("publish failed", "queued", len(confirmed), "requested", len(queue), "err", err)
		return res, huma.Error503ServiceUnavailable(fmt.Sprintf(
			"The message broker failed while queueing: %d of %d photos were queued; those listed under errors were not. Send them again shortly.",
			len(confirmed), len(queue)), unconfirmed(queue, confirmed)...)
	}
	for _, id := range confirmed {
		p := photos[id]
		res.PhotosQueued = append(res.PhotosQueued, QueuedPhoto{UUID: id, URL: p.URL, Status: string(p.Status)})
	}
	res.PhotosQueuedCount = len(res.PhotosQueued)
	return res, nil
}
