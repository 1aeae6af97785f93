package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/store"
)

// Photo is a photo as listed.
type Photo struct {
	UUID      uuid.UUID `json:"uuid"`
	URL       string    `json:"url" doc:"Where the photo is downloaded from."`
	Status    string    `json:"status" enum:"pending,processing,completed,failed"`
	CreatedAt time.Time `json:"created_at"`
}

func toPhoto(p store.Photo) Photo {
	return Photo{UUID: p.UUID, URL: p.URL, Status: string(p.Status), CreatedAt: p.CreatedAt}
}

type listPendingInput struct {
	Limit int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
	After string `query:"after" format:"uuid" doc:"Cursor: list photos after this one. Taken from the Link header of the previous page."`
}

type listPendingOutput struct {
	Link string `header:"Link" doc:"RFC 8288 link to the next page (rel=\"next\"), present while more photos may follow."`
	Body []Photo
}

// PhotoDetail is one photo with its thumbnails and, if it failed, why.
type PhotoDetail struct {
	Photo
	UpdatedAt     time.Time   `json:"updated_at"`
	Attempts      int         `json:"attempts" doc:"How many times a worker has taken this photo since it was last queued from failed."`
	FailureReason string      `json:"failure_reason,omitempty" doc:"Why the photo failed, or why its last attempt failed while it waits for a retry."`
	RetryAt       *time.Time  `json:"retry_at,omitempty" doc:"While the photo waits for a retry: when it is due. Its message is queued already."`
	Thumbnails    []Thumbnail `json:"thumbnails"`
}

// Thumbnail is one thumbnail of a photo.
type Thumbnail struct {
	UUID      uuid.UUID `json:"uuid"`
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	Size      int       `json:"size" doc:"Edge of the box the thumbnail was made to fit."`
	URL       string    `json:"url" doc:"Where the thumbnail is stored: its path relative to the thumbnails directory (local storage), s3://BUCKET/KEY, or PHOTOPROC_PUBLIC_BASE_URL followed by the key."`
	Href      string    `json:"href" doc:"Where this API serves the thumbnail."`
	CreatedAt time.Time `json:"created_at"`
}

type photoInput struct {
	UUID string `path:"uuid" format:"uuid" doc:"The photo's UUID."`
}

type photoOutput struct {
	Body PhotoDetail
}

func (a *API) registerPhotos() {
	huma.Register(a.huma, huma.Operation{
		OperationID: "list-pending-photos",
		Method:      http.MethodGet,
		Path:        "/photos/pending",
		Summary:     "List pending photos, oldest first",
		Tags:        []string{"photos"},
	}, a.listPending)
	huma.Register(a.huma, huma.Operation{
		OperationID: "get-photo",
		Method:      http.MethodGet,
		Path:        "/photos/{uuid}",
		Summary:     "Get a photo, its thumbnails, and why it failed if it did",
		Tags:        []string{"photos"},
	}, a.getPhoto)
	huma.Register(a.huma, huma.Operation{
		OperationID: "get-thumbnail",
		Method:      http.MethodGet,
		Path:        "/photos/{uuid}/thumbnail",
		Summary:     "Download a photo's thumbnail (JPEG)",
		Description: "Streams the thumbnail with ETag, Last-Modified and Cache-Control; If-None-Match " +
			"and If-Modified-Since answer 304, Range answers 206. With PHOTOPROC_THUMBNAIL_DELIVERY=presigned " +
			"it redirects to a short-lived link of the bucket instead.",
		Tags: []string{"photos"},
		Responses: map[string]*huma.Response{
			"200": {
				Description: "The thumbnail.",
				Content:     map[string]*huma.MediaType{"image/jpeg": {Schema: &huma.Schema{Type: "string", Format: "binary"}}},
			},
			"302": {
				Description: "A short-lived link to the thumbnail in the bucket (PHOTOPROC_THUMBNAIL_DELIVERY=presigned).",
				Headers:     map[string]*huma.Param{"Location": {Description: "The presigned link.", Schema: &huma.Schema{Type: "string", Format: "uri"}}},
			},
			"304": {Description: "The copy the client holds (If-None-Match, If-Modified-Since) is current."},
		},
		Errors: []int{http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getThumbnail)
}

func (a *API) listPending(ctx context.Context, in *listPendingInput) (*listPendingOutput, error) {
	after := uuid.Nil
	if in.After != "" {
		after = uuid.MustParse(in.After) // validated as a uuid by huma
	}
	photos, err := a.deps.Store.ListPending(ctx, after, in.Limit)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, huma.Error400BadRequest("The after cursor names no photo: start again without it.",
			&huma.ErrorDetail{Location: "query.after", Value: in.After, Message: "no such photo"})
	case err != nil:
		return nil, httpx.Internal(ctx, a.log, "list pending photos", err)
	}
	out := &listPendingOutput{Body: make([]Photo, 0, len(photos))}
	for _, p := range photos {
		out.Body = append(out.Body, toPhoto(p))
	}
	if len(photos) == in.Limit {
		q := url.Values{"limit": {strconv.Itoa(in.Limit)}, "after": {photos[len(photos)-1].UUID.String()}}
		out.Link = fmt.Sprintf(`</photos/pending?%s>; rel="next"`, q.Encode())
	}
	return out, nil
}

func (a *API) getPhoto(ctx context.Context, in *photoInput) (*photoOutput, error) {
	id := uuid.MustParse(in.UUID)
	p, thumbs, err := a.deps.Store.Photo(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, httpx.PhotoNotFound(in.UUID)
	case err != nil:
		return nil, httpx.Internal(ctx, a.log, "get photo", err)
	}
	d := PhotoDetail{Photo: toPhoto(p), UpdatedAt: p.UpdatedAt, Attempts: p.Attempts,
		FailureReason: p.FailureReason, Thumbnails: make([]Thumbnail, 0, len(thumbs))}
	if !p.RetryAt.IsZero() {
		d.RetryAt = &p.RetryAt
	}
	for _, t := range thumbs {
		d.Thumbnails = append(d.Thumbnails, Thumbnail{UUID: t.UUID, Width: t.Width, Height: t.Height,
			Size: t.Size, URL: t.URL, Href: "/photos/" + id.String() + "/thumbnail", CreatedAt: t.CreatedAt})
	}
	return &photoOutput{Body: d}, nil
}

func (a *API) getThumbnail(ctx context.Context, in *photoInput) (*huma.StreamResponse, error) {
	return a.thumbs.Serve(ctx, uuid.MustParse(in.UUID), httpx.Newest)
}
