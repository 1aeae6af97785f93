package enqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// MaxBatch is the most photos one Queue call takes: a request's worth.
const MaxBatch = 1000

// Store is what queueing reads and changes in the database.
type Store interface {
	Photos(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Photo, error)
	Reopen(ctx context.Context, ids []uuid.UUID) error
}

// Publisher publishes one message per photo, and says whether it can.
type Publisher interface {
	// Publish returns the photos whose message the broker confirmed.
	Publish(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error)
	Connected() bool
}

// Queuer queues photos for processing.
type Queuer struct {
	store     Store
	publisher Publisher // nil: nothing can be queued (ErrBrokerUnavailable)
	metrics   *metrics.Metrics
}

// New queues through pub the photos st knows; m (optional) counts the messages.
func New(st Store, pub Publisher, m *metrics.Metrics) *Queuer {
	return &Queuer{store: st, publisher: pub, metrics: m}
}

// Queue queues the queueable photos among ids and reports the rest. Its errors are
// ErrBrokerUnavailable, an *UnknownPhotosError (nothing queued), a *PublishError, or a
// database failure.
func (q *Queuer) Queue(ctx context.Context, ids []uuid.UUID) (Result, error) {
	res := Result{Queued: []Queued{}, Skipped: []Skipped{}}
	if q.publisher == nil || !q.publisher.Connected() {
		return res, ErrBrokerUnavailable
	}
	photos, err := q.store.Photos(ctx, ids)
	if err != nil {
		return res, fmt.Errorf("look up photos: %w", err)
	}

	var unknown []Unknown
	var queue, reopen []uuid.UUID
	seen := make(map[uuid.UUID]bool, len(ids))
	for i, id := range ids {
		p, ok := photos[id]
		switch {
		case !ok:
			unknown = append(unknown, Unknown{Index: i, UUID: id})
		case seen[id]:
			res.Skipped = append(res.Skipped, Skipped{UUID: id, Status: p.Status, Reason: "duplicate in this request; queued once"})
		case p.Status != store.StatusPending && p.Status != store.StatusFailed:
			res.Skipped = append(res.Skipped, Skipped{UUID: id, Status: p.Status, Reason: skipReason(p.Status)})
		case !p.RetryAt.IsZero():
			// A second message would start a second chain of attempts beside the retry's.
			res.Skipped = append(res.Skipped, Skipped{UUID: id, Status: p.Status,
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
		return res, &UnknownPhotosError{Photos: unknown}
	}

	// A failed photo is claimed by no message until it is reopened: a stray message (a
	// redelivery, a duplicate) cannot restart a photo that was given up on.
	if len(reopen) > 0 {
		if err := q.store.Reopen(ctx, reopen); err != nil {
			return res, fmt.Errorf("reopen failed photos: %w", err)
		}
	}
	confirmed, err := q.publisher.Publish(ctx, queue)
	if m := q.metrics; m != nil {
		m.PhotosPublished.Add(float64(len(confirmed)))
		m.PublishFailures.Add(float64(len(queue) - len(confirmed)))
	}
	if err != nil {
		return res, &PublishError{Confirmed: confirmed, Unconfirmed: unconfirmed(queue, confirmed), Err: err}
	}
	for _, id := range confirmed {
		p := photos[id]
		res.Queued = append(res.Queued, Queued{UUID: id, URL: p.URL, Status: p.Status})
	}
	return res, nil
}

// unconfirmed is queue less confirmed, in queue's order.
func unconfirmed(queue, confirmed []uuid.UUID) []uuid.UUID {
	ok := make(map[uuid.UUID]bool, len(confirmed))
	for _, id := range confirmed {
		ok[id] = true
	}
	var out []uuid.UUID
	for _, id := range queue {
		if !ok[id] {
			out = append(out, id)
		}
	}
	return out
}
