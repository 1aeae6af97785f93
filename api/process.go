package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
)

type processInput struct {
	Body []string `nullable:"false" minItems:"1" maxItems:"1000" format:"uuid" doc:"UUIDs of the photos to queue (1 to 1000). Duplicates are queued once." example:"[\"4a37b140-022d-4fba-aa25-a0527d15ecf2\"]"`
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

// ProcessResult says what was queued and what was not.
type ProcessResult struct {
	PhotosQueued      []QueuedPhoto  `json:"photos_queued"`
	PhotosQueuedCount int            `json:"photos_queued_count"`
	Skipped           []SkippedPhoto `json:"skipped"`
}

type processOutput struct {
	Body ProcessResult
}

func (a *API) registerProcess() {
	for _, method := range []string{http.MethodPut, http.MethodPost} {
		huma.Register(a.huma, huma.Operation{
			OperationID: "process-photos-" + map[string]string{http.MethodPut: "put", http.MethodPost: "post"}[method],
			Method:      method,
			Path:        "/photos/process",
			Summary:     "Queue photos for thumbnailing",
			Description: "Queues one message per photo whose status is pending or failed, and answers " +
				"202 with the photos the broker confirmed. Photos in any other status are listed under " +
				"skipped, and so is a pending photo waiting for a retry (its message is queued already; " +
				"GET /photos/{uuid} shows when it is due). A failed photo queued again gets its attempts " +
				"anew. If any UUID is unknown nothing is queued and the answer is 404 listing them. " +
				"If the broker is unavailable the answer is 503 and nothing unconfirmed is reported as queued.",
			Tags:          []string{"photos"},
			DefaultStatus: http.StatusAccepted,
			MaxBodyBytes:  a.cfg.MaxBodyBytes,
			Errors:        []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
		}, a.process)
	}
}

func (a *API) process(ctx context.Context, in *processInput) (*processOutput, error) {
	ids := make([]uuid.UUID, 0, len(in.Body))
	for _, s := range in.Body {
		ids = append(ids, uuid.MustParse(s)) // validated as uuids by huma
	}
	res, err := a.Queue(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &processOutput{Body: res}, nil
}

// Queue queues the queueable photos among ids and reports the rest. Its errors are huma
// status errors ready to send. The admin "retry failed" action uses it too.
func (a *API) Queue(ctx context.Context, ids []uuid.UUID) (ProcessResult, error) {
	res := ProcessResult{PhotosQueued: []QueuedPhoto{}, Skipped: []SkippedPhoto{}}
	if a.deps.Publisher == nil || !a.deps.Publisher.Connected() {
		return res, brokerUnavailable()
	}
	photos, err := a.deps.Store.Photos(ctx, ids)
	if err != nil {
		return res, a.internal(ctx, "look up photos", err)
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
		if err := a.deps.Store.Reopen(ctx, reopen); err != nil {
			return res, a.internal(ctx, "reopen failed photos", err)
		}
	}
	confirmed, err := a.deps.Publisher.Publish(ctx, queue)
	if m := a.deps.Metrics; m != nil {
		m.PhotosPublished.Add(float64(len(confirmed)))
		m.PublishFailures.Add(float64(len(queue) - len(confirmed)))
	}
	if err != nil {
		a.logger(ctx).Error("publish failed", "queued", len(confirmed), "requested", len(queue), "err", err)
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

func skipReason(s store.Status) string {
	switch s {
	case store.StatusCompleted:
		return "already completed"
	case store.StatusProcessing:
		return "being processed"
	default:
		return "not queueable in status " + string(s)
	}
}

// unconfirmed lists, as problem details, the photos the broker did not confirm, so a client
// knows what to send again; the ones it did confirm are queued and will be processed.
func unconfirmed(queue, confirmed []uuid.UUID) []error {
	ok := make(map[uuid.UUID]bool, len(confirmed))
	for _, id := range confirmed {
		ok[id] = true
	}
	var errs []error
	for _, id := range queue {
		if !ok[id] {
			errs = append(errs, &huma.ErrorDetail{Value: id, Message: "not queued: send again"})
		}
	}
	return errs
}

func brokerUnavailable() error {
	return huma.Error503ServiceUnavailable("The message broker is unavailable; nothing was queued. Try again shortly.")
}
