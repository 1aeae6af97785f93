package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/httpx"
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
				"GET /photos/{uuid} shows when it is due), until the retry is overdue by the lease " +
				"(PHOTOPROC_LEASE): then its message is taken for lost and the photo is queued again, " +
				"once. A failed photo queued again gets its attempts anew. Every UUID sent is reported " +
				"as often as it was sent: a duplicate of a queued photo is skipped as queued once, a " +
				"duplicate of a skipped photo is skipped for the same reason. If any UUID is unknown " +
				"nothing is queued and the answer is 404 listing them. If the broker is unavailable the " +
				"answer is 503 and nothing unconfirmed is reported as queued.",
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
	if a.deps.Queuer == nil {
		return nil, a.queueProblem(ctx, enqueue.ErrBrokerUnavailable)
	}
	res, err := a.deps.Queuer.Queue(ctx, ids)
	if err != nil {
		return nil, a.queueProblem(ctx, err)
	}
	return &processOutput{Body: toProcessResult(res)}, nil
}

func toProcessResult(res enqueue.Result) ProcessResult {
	out := ProcessResult{PhotosQueued: make([]QueuedPhoto, 0, len(res.Queued)), Skipped: make([]SkippedPhoto, 0, len(res.Skipped))}
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
func (a *API) queueProblem(ctx context.Context, err error) error {
	return httpx.QueueProblem(ctx, a.log, err, "body[%d]")
}
