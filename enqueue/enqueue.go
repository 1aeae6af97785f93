package enqueue

import (
	"context"
	"errors"
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
	// LostRetriesAmong marks requeued, and returns, the photos among ids whose retry is lost
	// (due more than grace ago, and not requeued within it); UndoRequeue takes the mark back.
	LostRetriesAmong(ctx context.Context, ids []uuid.UUID, grace time.Duration) ([]uuid.UUID, error)
	UndoRequeue(ctx context.Context, ids []uuid.UUID) error
	// Lacking returns the completed photos among ids without a row for one of wanted.
	Lacking(ctx context.Context, ids []uuid.UUID, wanted []store.Variant) ([]uuid.UUID, error)
}

// Publisher publishes one message per photo, and says whether it can.
type Publisher interface {
	// Publish returns the photos whose message the broker confirmed.
	Publish(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error)
	Connected() bool
}

// Config says when a photo waiting for a retry may be queued again.
type Config struct {
	// LostRetryAfter is how long past its due time a retry that has not claimed its photo is
	// taken for lost, so that the photo may be queued again on request; default 5m. The daemon
	// sets it to the pool's lease (PHOTOPROC_LEASE), the grace the sweeper gives a retry.
	LostRetryAfter time.Duration
	// Wanted are the thumbnails every photo gets (the sizes × formats the workers make): a
	// completed photo without one of them is what Backfill queues. Default one 320 JPEG.
	Wanted []store.Variant
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{LostRetryAfter: 5 * time.Minute, Wanted: []store.Variant{{Size: 320, Format: "jpeg"}}}
}

// Queuer queues photos for processing.
type Queuer struct {
	cfg       Config
	store     Store
	publisher Publisher // nil: nothing can be queued (ErrBrokerUnavailable)
	metrics   *metrics.Metrics
}

// New queues through pub the photos st knows; m (optional) counts the messages.
func New(cfg Config, st Store, pub Publisher, m *metrics.Metrics) (*Queuer, error) {
	if cfg.LostRetryAfter <= 0 {
		return nil, fmt.Errorf("lost retry after %s: must be positive", cfg.LostRetryAfter)
	}
	if len(cfg.Wanted) == 0 {
		return nil, errors.New("wanted thumbnails: none")
	}
	return &Queuer{cfg: cfg, store: st, publisher: pub, metrics: m}, nil
}

// Queue queues the queueable photos among ids and reports every one of them, in request
// order: each UUID is reported as often as it was sent, once under Queued at most (a
// duplicate of a queued photo is skipped as "duplicate in this request; queued once"; a
// duplicate of a skipped photo is skipped with the same reason). A pending photo whose retry
// is due is skipped (its message is queued already), unless the retry is lost: overdue by
// Config.LostRetryAfter, and not queued again since, by the sweeper's rule. Its errors are
// ErrBrokerUnavailable, an *UnknownPhotosError (nothing queued), a *PublishError, or a
// database failure.
func (q *Queuer) Queue(ctx context.Context, ids []uuid.UUID) (Result, error) {
	if q.publisher == nil || !q.publisher.Connected() {
		return Result{}, ErrBrokerUnavailable
	}
	photos, err := q.lookUp(ctx, ids)
	if err != nil {
		return Result{}, err
	}
	p := q.plan(ids, photos)
	if len(p.waiting) > 0 {
		lost, err := q.store.LostRetriesAmong(ctx, p.waiting, q.cfg.LostRetryAfter)
		if err != nil {
			return Result{}, fmt.Errorf("look for lost retries: %w", err)
		}
		for _, id := range lost {
			p.lost[id] = true
		}
	}
	// A failed photo is claimed by no message until it is reopened: a stray message (a
	// redelivery, a duplicate) cannot restart a photo that was given up on.
	if len(p.reopen) > 0 {
		if err := q.store.Reopen(ctx, p.reopen); err != nil {
			return Result{}, fmt.Errorf("reopen failed photos: %w", err)
		}
	}
	queue := p.queue(ids)
	confirmed, err := q.publish(ctx, queue)
	if err != nil {
		missed := unconfirmed(queue, confirmed)
		// A lost retry not queued again keeps no mark: it may be asked for again at once.
		var undo []uuid.UUID
		for _, id := range missed {
			if p.lost[id] {
				undo = append(undo, id)
			}
		}
		if len(undo) > 0 {
			if uerr := q.store.UndoRequeue(context.WithoutCancel(ctx), undo); uerr != nil {
				err = errors.Join(err, uerr)
			}
		}
		return Result{}, &PublishError{Confirmed: confirmed, Unconfirmed: missed, Err: err}
	}
	return p.result(ids, photos, q.cfg.LostRetryAfter), nil
}

// Backfill queues the completed photos among ids that lack one of Config.Wanted, so that a
// worker makes what each lacks and keeps what it has, and reports every one of them as Queue
// does. Photos in other statuses are skipped (Queue is for pending and failed ones), and so
// are those with every wanted thumbnail. Its errors are Queue's.
func (q *Queuer) Backfill(ctx context.Context, ids []uuid.UUID) (Result, error) {
	if q.publisher == nil || !q.publisher.Connected() {
		return Result{}, ErrBrokerUnavailable
	}
	photos, err := q.lookUp(ctx, ids)
	if err != nil {
		return Result{}, err
	}
	found, err := q.store.Lacking(ctx, ids, q.cfg.Wanted)
	if err != nil {
		return Result{}, fmt.Errorf("look for missing thumbnails: %w", err)
	}
	lacking := make(map[uuid.UUID]bool, len(found))
	for _, id := range found {
		lacking[id] = true
	}
	p := &plan{skip: map[uuid.UUID]string{}, lost: map[uuid.UUID]bool{}}
	for _, id := range ids {
		switch ph := photos[id]; {
		case ph.Status != store.StatusCompleted:
			p.skip[id] = backfillSkipReason(ph.Status)
		case !lacking[id]:
			p.skip[id] = "has every thumbnail the settings ask for"
		}
	}
	queue := p.queue(ids)
	confirmed, err := q.publish(ctx, queue)
	if err != nil {
		return Result{}, &PublishError{Confirmed: confirmed, Unconfirmed: unconfirmed(queue, confirmed), Err: err}
	}
	return p.result(ids, photos, q.cfg.LostRetryAfter), nil
}

// lookUp reads the photos of ids: an *UnknownPhotosError when some UUIDs name none.
func (q *Queuer) lookUp(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Photo, error) {
	photos, err := q.store.Photos(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("look up photos: %w", err)
	}
	var unknown []Unknown
	for i, id := range ids {
		if _, ok := photos[id]; !ok {
			unknown = append(unknown, Unknown{Index: i, UUID: id})
		}
	}
	if len(unknown) > 0 {
		return nil, &UnknownPhotosError{Photos: unknown}
	}
	return photos, nil
}

// publish publishes a message per photo of ids and counts them; it returns those the broker
// confirmed.
func (q *Queuer) publish(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
	confirmed, err := q.publisher.Publish(ctx, ids)
	if m := q.metrics; m != nil {
		m.PhotosPublished.Add(float64(len(confirmed)))
		m.PublishFailures.Add(float64(len(ids) - len(confirmed)))
	}
	return confirmed, err
}

// plan is what becomes of each photo of a request, decided on its first appearance.
type plan struct {
	skip    map[uuid.UUID]string // why it is not queued
	waiting []uuid.UUID          // pending with a retry due: queued only if the retry is lost
	lost    map[uuid.UUID]bool   // waiting photos whose retry is lost: queued
	reopen  []uuid.UUID          // failed photos, to reopen before they are queued
}

func (q *Queuer) plan(ids []uuid.UUID, photos map[uuid.UUID]store.Photo) *plan {
	p := &plan{skip: map[uuid.UUID]string{}, lost: map[uuid.UUID]bool{}}
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		switch ph := photos[id]; {
		case ph.Status != store.StatusPending && ph.Status != store.StatusFailed:
			p.skip[id] = skipReason(ph.Status)
		case !ph.RetryAt.IsZero():
			// A second message would start a second chain of attempts beside the retry's,
			// unless that retry is lost.
			p.waiting = append(p.waiting, id)
		case ph.Status == store.StatusFailed:
			p.reopen = append(p.reopen, id)
		}
	}
	return p
}

// queue is the photos to publish, once each, in request order.
func (p *plan) queue(ids []uuid.UUID) []uuid.UUID {
	waiting := make(map[uuid.UUID]bool, len(p.waiting))
	for _, id := range p.waiting {
		waiting[id] = true
	}
	var out []uuid.UUID
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		if seen[id] || p.skip[id] != "" || (waiting[id] && !p.lost[id]) {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// result reports every photo of the request once its messages are confirmed.
func (p *plan) result(ids []uuid.UUID, photos map[uuid.UUID]store.Photo, grace time.Duration) Result {
	res := Result{Queued: []Queued{}, Skipped: []Skipped{}}
	queued := map[uuid.UUID]bool{}
	for _, id := range p.queue(ids) {
		queued[id] = true
	}
	reported := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		ph := photos[id]
		switch {
		case queued[id] && !reported[id]:
			res.Queued = append(res.Queued, Queued{UUID: id, URL: ph.URL, Status: ph.Status})
		case queued[id]:
			res.Skipped = append(res.Skipped, Skipped{UUID: id, Status: ph.Status, Reason: "duplicate in this request; queued once"})
		case p.skip[id] != "":
			res.Skipped = append(res.Skipped, Skipped{UUID: id, Status: ph.Status, Reason: p.skip[id]})
		default:
			res.Skipped = append(res.Skipped, Skipped{UUID: id, Status: ph.Status, Reason: waitingReason(ph.RetryAt, grace)})
		}
		reported[id] = true
	}
	return res
}

// waitingReason says why a photo waiting for its retry was not queued, and when it could be.
func waitingReason(due time.Time, grace time.Duration) string {
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	if lostFrom := due.Add(grace); time.Now().Before(lostFrom) {
		return "already queued: waiting for a retry due at " + at(due) +
			"; if it has not come by " + at(lostFrom) + ", it may be queued again"
	}
	return "already queued: its retry, due at " + at(due) + ", was queued again less than " +
		grace.String() + " ago"
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
