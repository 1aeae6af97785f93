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
	Thumbnails    []Thumbnail `json:"thumbnails" doc:"Every thumbnail, one per box and format, smallest box first."`
	ThumbHash     []byte      `json:"thumbhash" nullable:"true" doc:"The photo's ThumbHash (https://evanw.github.io/thumbhash/), a placeholder of a few bytes to paint while a thumbnail loads, in standard base64; null until a version that makes one has processed the photo."`
}

// Thumbnail is one thumbnail of a photo.
type Thumbnail struct {
	UUID      uuid.UUID `json:"uuid"`
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	Size      int       `json:"size" doc:"Edge of the box the thumbnail was made to fit. A source smaller than several boxes has one file for all of them: each box's thumbnail names it."`
	Format    string    `json:"format" enum:"jpeg,webp,avif"`
	Primary   bool      `json:"primary" doc:"The primary thumbnail: the first box in JPEG when the photo was made, stored as <uuid>.jpg."`
	URL       string    `json:"url" doc:"Where the thumbnail is stored: its path relative to the thumbnails directory (local storage), s3://BUCKET/KEY, or PHOTOPROC_PUBLIC_BASE_URL followed by the key."`
	Href      string    `json:"href" doc:"Where this API serves this thumbnail: the thumbnail route with its size and format."`
	CreatedAt time.Time `json:"created_at"`
}

type photoInput struct {
	UUID string `path:"uuid" format:"uuid" doc:"The photo's UUID."`
}

type thumbnailInput struct {
	UUID   string `path:"uuid" format:"uuid" doc:"The photo's UUID."`
	Size   int    `query:"size" minimum:"1" maximum:"32767" doc:"The box (PHOTOPROC_THUMBNAIL_SIZES). Default the first configured box, or the primary thumbnail's box when the photo has none of it (made under older settings)."`
	Format string `query:"format" enum:"jpeg,webp,avif" doc:"The format. Default the best stored at the box that Accept takes: AVIF, then WebP, then JPEG; WebP and AVIF only when Accept names them, JPEG when it takes none."`
	Accept string `header:"Accept" doc:"Without format: the media types the client takes, with q-values."`
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
		Summary:     "Download a photo's thumbnail: a size, in the format asked for or the best the client takes",
		Description: "Streams the thumbnail with ETag, Last-Modified and Cache-Control; If-None-Match " +
			"and If-Modified-Since answer 304, Range answers 206. With PHOTOPROC_THUMBNAIL_DELIVERY=presigned " +
			"it redirects to a short-lived link of the bucket instead. Without format the answer depends on " +
			"Accept, and says so with Vary: Accept when the box is stored in more than one format. A size or " +
			"format the photo does not have is a 404 listing what it has.",
		Tags: []string{"photos"},
		Responses: map[string]*huma.Response{
			"200": {
				Description: "The thumbnail.",
				Content: map[string]*huma.MediaType{
					"image/jpeg": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
					"image/webp": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
					"image/avif": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
				},
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
		FailureReason: p.FailureReason, Thumbnails: make([]Thumbnail, 0, len(thumbs)), ThumbHash: p.ThumbHash}
	if !p.RetryAt.IsZero() {
		d.RetryAt = &p.RetryAt
	}
	primary, _ := store.Primary(thumbs)
	for _, t := range thumbs {
		q := url.Values{"size": {strconv.Itoa(t.Size)}, "format": {t.Format}}
		d.Thumbnails = append(d.Thumbnails, Thumbnail{UUID: t.UUID, Width: t.Width, Height: t.Height,
			Size: t.Size, Format: t.Format, Primary: t.UUID == primary.UUID, URL: t.URL,
			Href: "/photos/" + id.String() + "/thumbnail?" + q.Encode(), CreatedAt: t.CreatedAt})
	}
	return &photoOutput{Body: d}, nil
}

func (a *API) getThumbnail(ctx context.Context, in *thumbnailInput) (*huma.StreamResponse, error) {
	want := httpx.Want{Size: in.Size, Default: a.cfg.defaultSize(), Format: in.Format, Accept: in.Accept}
	return a.thumbs.Serve(ctx, uuid.MustParse(in.UUID), want.Pick)
}
