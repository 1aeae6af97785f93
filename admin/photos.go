package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// GalleryItem is the primary thumbnail of one of the photos thumbnailed last.
type GalleryItem struct {
	PhotoUUID uuid.UUID `json:"photo_uuid"`
	Width     int       `json:"width" doc:"Pixels."`
	Height    int       `json:"height" doc:"Pixels."`
	Size      int       `json:"size" doc:"Edge of the box it was made to fit, in pixels."`
	Format    string    `json:"format" enum:"jpeg,webp,avif"`
	Href      string    `json:"href" doc:"Where this listener serves the thumbnail."`
	CreatedAt time.Time `json:"created_at"`
}

// PhotoDetail is everything known about one photo: where it comes from, where it stands, and
// how its thumbnails were made.
type PhotoDetail struct {
	UUID          uuid.UUID   `json:"uuid"`
	URL           string      `json:"url" doc:"Where the photo is downloaded from."`
	Status        string      `json:"status" enum:"pending,processing,completed,failed"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Attempts      int         `json:"attempts" doc:"Claims by a worker since it was last queued from failed."`
	FailureReason string      `json:"failure_reason,omitempty" doc:"Why it failed, or why its last attempt failed while it waits for a retry."`
	RetryAt       *time.Time  `json:"retry_at,omitempty" doc:"While it waits for a retry: when it is due."`
	Thumbnails    []Thumbnail `json:"thumbnails"`
}

// Thumbnail is one thumbnail of a photo, with what it was made from and how long each stage
// took. Source and timings are absent for thumbnails made before they were recorded.
type Thumbnail struct {
	Width     int       `json:"width" doc:"Pixels."`
	Height    int       `json:"height" doc:"Pixels."`
	Size      int       `json:"size" doc:"Edge of the box it was made to fit, in pixels."`
	Format    string    `json:"format" enum:"jpeg,webp,avif"`
	Primary   bool      `json:"primary" doc:"The primary thumbnail: the first box in JPEG when the photo was made, <uuid>.jpg."`
	Bytes     int64     `json:"bytes,omitempty" doc:"The file's size; absent when the storage could not say."`
	URL       string    `json:"url" doc:"Where the file is stored, as its row records it."`
	Href      string    `json:"href" doc:"Where this listener serves the thumbnail."`
	CreatedAt time.Time `json:"created_at"`
	Source    *Source   `json:"source,omitempty"`
	Timings   *Timings  `json:"timings,omitempty"`
}

// Source is the photo a thumbnail was made from.
type Source struct {
	Bytes  int64  `json:"bytes,omitempty" doc:"Downloaded size in bytes."`
	Width  int    `json:"width,omitempty" doc:"Pixels as displayed (after EXIF orientation)."`
	Height int    `json:"height,omitempty" doc:"Pixels as displayed (after EXIF orientation)."`
	Format string `json:"format,omitempty" doc:"jpeg, png, gif, webp, bmp, tiff, heic or avif."`
}

// Timings are the stages of one thumbnail's making, in seconds.
type Timings struct {
	DownloadSeconds  float64 `json:"download_seconds" doc:"Fetching the URL."`
	ThumbnailSeconds float64 `json:"thumbnail_seconds" doc:"Decoding, resizing and encoding."`
	StoreSeconds     float64 `json:"store_seconds" doc:"Writing the file or object."`
}

// HistoryPoints are the last hour of this process's work, a step a point.
type HistoryPoints struct {
	StepSeconds float64         `json:"step_seconds"`
	Points      []metrics.Point `json:"points" doc:"Oldest first; the last is the step under way. Empty on a process without workers."`
}

type galleryInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"200" default:"24" doc:"How many photos."`
}

type galleryOutput struct {
	Body struct {
		Thumbnails []GalleryItem `json:"thumbnails" doc:"One a photo, its primary; the photo thumbnailed last first."`
	}
}

type photoInput struct {
	UUID string `path:"uuid" format:"uuid" doc:"The photo's UUID."`
}

type thumbnailInput struct {
	UUID   string `path:"uuid" format:"uuid" doc:"The photo's UUID."`
	Size   int    `query:"size" minimum:"1" maximum:"32767" doc:"The box; default the primary thumbnail's."`
	Format string `query:"format" enum:"jpeg,webp,avif" doc:"The format; default the best stored at the box that Accept takes."`
	Accept string `header:"Accept"`
}

type photoOutput struct{ Body PhotoDetail }

type historyOutput struct{ Body HistoryPoints }

func (ad *admin) registerPhotos(h huma.API) {
	huma.Register(h, huma.Operation{OperationID: "thumbnails", Method: http.MethodGet, Path: "/api/thumbnails",
		Summary: "The primary thumbnails of the photos thumbnailed last, for the gallery"}, ad.gallery)
	huma.Register(h, huma.Operation{OperationID: "photo", Method: http.MethodGet, Path: "/api/photos/{uuid}",
		Summary: "A photo's details: source, status, attempts, every thumbnail, stage timings, failure reason",
		Errors:  []int{http.StatusNotFound}}, ad.photo)
	huma.Register(h, huma.Operation{OperationID: "photo-thumbnail", Method: http.MethodGet, Path: "/api/photos/{uuid}/thumbnail",
		Summary: "A photo's thumbnail, read from the thumbnail storage whichever it is",
		Responses: map[string]*huma.Response{"200": {Description: "The thumbnail.",
			Content: map[string]*huma.MediaType{
				"image/jpeg": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
				"image/webp": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
				"image/avif": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
			}}},
		Errors: []int{http.StatusNotFound, http.StatusServiceUnavailable}}, ad.thumbnail)
	huma.Register(h, huma.Operation{OperationID: "history", Method: http.MethodGet, Path: "/api/history",
		Summary: "Throughput, latency (p50, p95) and failures per minute over the last hour, of this process's workers"}, ad.history)
}

func (ad *admin) gallery(ctx context.Context, in *galleryInput) (*galleryOutput, error) {
	thumbs, err := ad.deps.Store.RecentPrimaries(ctx, in.Limit)
	if err != nil {
		return nil, ad.internal(ctx, "recent thumbnails", err)
	}
	out := &galleryOutput{}
	out.Body.Thumbnails = make([]GalleryItem, 0, len(thumbs))
	for _, t := range thumbs {
		out.Body.Thumbnails = append(out.Body.Thumbnails, GalleryItem{PhotoUUID: t.PhotoUUID, Width: t.Width, Height: t.Height,
			Size: t.Size, Format: t.Format, Href: thumbnailHref(t), CreatedAt: t.CreatedAt})
	}
	return out, nil
}

// thumbnailHref is where this listener serves the thumbnail t: its box and format, whatever
// the browser's Accept.
func thumbnailHref(t store.Thumbnail) string {
	q := url.Values{"size": {strconv.Itoa(t.Size)}, "format": {t.Format}}
	return "/api/photos/" + t.PhotoUUID.String() + "/thumbnail?" + q.Encode()
}

func (ad *admin) photo(ctx context.Context, in *photoInput) (*photoOutput, error) {
	p, thumbs, err := ad.read(ctx, in.UUID)
	if err != nil {
		return nil, err
	}
	d := PhotoDetail{UUID: p.UUID, URL: p.URL, Status: string(p.Status), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Attempts: p.Attempts, FailureReason: p.FailureReason, Thumbnails: make([]Thumbnail, 0, len(thumbs))}
	if !p.RetryAt.IsZero() {
		d.RetryAt = &p.RetryAt
	}
	primary, _ := store.Primary(thumbs)
	sizes := ad.fileSizes(ctx, thumbs)
	for _, t := range thumbs {
		th := toThumbnail(t)
		th.Primary, th.Bytes = t.UUID == primary.UUID, sizes[t.URL]
		d.Thumbnails = append(d.Thumbnails, th)
	}
	return &photoOutput{Body: d}, nil
}

// fileSizes asks the storage for the size of each file thumbs name, a few at a time and
// briefly: the details show what it answers in time, and say nothing of the rest.
func (ad *admin) fileSizes(ctx context.Context, thumbs []store.Thumbnail) map[string]int64 {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var (
		mu    sync.Mutex
		sizes = make(map[string]int64, len(thumbs))
		g     errgroup.Group
	)
	g.SetLimit(4)
	urls := make([]string, 0, len(thumbs))
	for _, t := range thumbs {
		urls = append(urls, t.URL)
	}
	slices.Sort(urls)
	for _, u := range slices.Compact(urls) { // boxes that share a file, once
		g.Go(func() error {
			info, err := ad.deps.ThumbStore.Stat(ctx, u)
			if err != nil {
				ad.logger(ctx).Debug("thumbnail size unknown", "url", u, "err", err)
				return nil
			}
			mu.Lock()
			sizes[u] = info.Size
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return sizes
}

func toThumbnail(t store.Thumbnail) Thumbnail {
	out := Thumbnail{Width: t.Width, Height: t.Height, Size: t.Size, Format: t.Format, URL: t.URL, Href: thumbnailHref(t), CreatedAt: t.CreatedAt}
	if s := t.Source; s != (store.Source{}) {
		out.Source = &Source{Bytes: s.Bytes, Width: s.Width, Height: s.Height, Format: s.Format}
	}
	if d := t.Timings; d != (store.Timings{}) {
		out.Timings = &Timings{DownloadSeconds: d.Download.Seconds(), ThumbnailSeconds: d.Thumbnail.Seconds(), StoreSeconds: d.Store.Seconds()}
	}
	return out
}

// read reads a photo and its thumbnails, as problems ready to send when it cannot.
func (ad *admin) read(ctx context.Context, id string) (store.Photo, []store.Thumbnail, error) {
	p, thumbs, err := ad.deps.Store.Photo(ctx, uuid.MustParse(id)) // validated as a uuid by huma
	switch {
	case errors.Is(err, store.ErrNotFound):
		return p, nil, httpx.PhotoNotFound(id)
	case err != nil:
		return p, nil, ad.internal(ctx, "get photo", err)
	}
	return p, thumbs, nil
}

// thumbnail streams a thumbnail of the photo from the storage, always through this listener:
// a presigned link would send the page to another origin. Without a size it is the primary's
// box: this listener has no settings of its own to take a first box from.
func (ad *admin) thumbnail(ctx context.Context, in *thumbnailInput) (*huma.StreamResponse, error) {
	want := httpx.Want{Size: in.Size, Format: in.Format, Accept: in.Accept}
	return ad.thumbs.Serve(ctx, uuid.MustParse(in.UUID), want.Pick)
}

func (ad *admin) history(_ context.Context, _ *struct{}) (*historyOutput, error) {
	out := &historyOutput{Body: HistoryPoints{Points: []metrics.Point{}}}
	if h := ad.deps.History; h != nil {
		out.Body.StepSeconds = h.Step().Seconds()
		out.Body.Points = h.Points(ad.deps.Now())
	}
	return out, nil
}
