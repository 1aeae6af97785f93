package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/enqueue"
)

type backfillInput struct {
	Body []string `nullable:"false" minItems:"1" maxItems:"1000" format:"uuid" doc:"UUIDs of completed photos to make the missing thumbnails of (1 to 1000). Duplicates are queued once." example:"[\"4a37b140-022d-4fba-aa25-a0527d15ecf2\"]"`
}

func (a *API) registerBackfill() {
	for _, method := range []string{http.MethodPut, http.MethodPost} {
		huma.Register(a.huma, huma.Operation{
			OperationID: "backfill-photos-" + map[string]string{http.MethodPut: "put", http.MethodPost: "post"}[method],
			Method:      method,
			Path:        "/photos/backfill",
			Summary:     "Make the thumbnails completed photos lack",
			Description: "Queues one message per completed photo that lacks a thumbnail the current sizes " +
				"and formats ask for (PHOTOPROC_THUMBNAIL_SIZES, PHOTOPROC_THUMBNAIL_FORMATS), and answers " +
				"202 with the photos the broker confirmed. A worker then makes only what the photo lacks " +
				"and keeps its thumbnails, which are served meanwhile; if that fails for good, the photo " +
				"stays completed with them and GET /photos/{uuid} says why. A photo in another status is " +
				"skipped (PUT /photos/process queues pending and failed ones), and so is one that has every " +
				"thumbnail asked for. Every UUID sent is reported as often as it was sent. If any UUID is " +
				"unknown nothing is queued and the answer is 404 listing them. If the broker is unavailable " +
				"the answer is 503 and nothing unconfirmed is reported as queued.",
			Tags:          []string{"photos"},
			DefaultStatus: http.StatusAccepted,
			MaxBodyBytes:  a.cfg.MaxBodyBytes,
			Errors:        []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
		}, a.backfill)
	}
}

func (a *API) backfill(ctx context.Context, in *backfillInput) (*processOutput, error) {
	ids := make([]uuid.UUID, 0, len(in.Body))
	for _, s := range in.Body {
		ids = append(ids, uuid.MustParse(s)) // validated as uuids by huma
	}
	if a.deps.Queuer == nil {
		return nil, a.queueProblem(ctx, enqueue.ErrBrokerUnavailable)
	}
	res, err := a.deps.Queuer.Backfill(ctx, ids)
	if err != nil {
		return nil, a.queueProblem(ctx, err)
	}
	return &processOutput{Body: toProcessResult(res)}, nil
}
