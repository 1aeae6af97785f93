package httpx

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// PhotoReader reads a photo and its thumbnails' rows.
type PhotoReader interface {
	Photo(ctx context.Context, id uuid.UUID) (store.Photo, []store.Thumbnail, error)
}

// ThumbStore reads stored thumbnails by the URL their row records. Presign is called only
// when Thumbnails.PresignExpiry is set.
type ThumbStore interface {
	Open(ctx context.Context, url string) (*thumbstore.Object, error)
	Presign(ctx context.Context, url string, expiry time.Duration) (string, error)
}

// Choice is the thumbnail a request is answered with, and the request headers the choice
// depended on (for Vary; "" when none).
type Choice struct {
	Thumbnail store.Thumbnail
	Vary      string
}

// Pick chooses, among a photo's thumbnails (never none), the one a request gets. An error it
// returns is sent as it is: a huma problem (a 404 naming what is stored, say). Want.Pick is
// the one both listeners use.
type Pick func(thumbs []store.Thumbnail) (Choice, error)

// Thumbnails serves a photo's thumbnail: it reads the photo's rows, picks one, and streams
// it from the thumbnail store (ETag, Last-Modified, conditional and range requests through
// http.ServeContent) or redirects to a presigned link. Both listeners serve thumbnails
// through it; what differs between them is its fields and the Pick they pass.
type Thumbnails struct {
	Photos PhotoReader
	Store  ThumbStore
	// CacheControl is sent with the bytes.
	CacheControl string
	// PresignExpiry, when set, answers 302 to a presigned link valid this long instead of
	// sending the bytes.
	PresignExpiry time.Duration
	Log           *slog.Logger
}

// Serve answers a request for photo id's thumbnail, the one pick chooses. Its errors are
// problems ready to send: 404 for no such photo, no thumbnail yet, or a thumbnail recorded
// but missing from storage; 503 for a store that cannot be read; 500 otherwise.
func (s *Thumbnails) Serve(ctx context.Context, id uuid.UUID, pick Pick) (*huma.StreamResponse, error) {
	p, thumbs, err := s.Photos.Photo(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, PhotoNotFound(id.String())
	case err != nil:
		return nil, Internal(ctx, s.Log, "get photo", err)
	case len(thumbs) == 0:
		return nil, huma.Error404NotFound(fmt.Sprintf("This photo has no thumbnail yet (status %s).", p.Status))
	}
	choice, err := pick(thumbs)
	if err != nil {
		return nil, err
	}
	t := choice.Thumbnail
	if s.PresignExpiry > 0 {
		return s.redirect(ctx, id, t, choice.Vary)
	}
	// The URL comes from our own database, and the store refuses any that would leave it
	// (a local directory is read through os.Root), whatever the row says.
	obj, err := s.Store.Open(ctx, t.URL)
	if err != nil {
		return nil, s.storageProblem(ctx, id, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		defer obj.Close()
		r, w := humago.Unwrap(hctx)
		h := w.Header()
		h.Set("Content-Type", MediaType(t.Format))
		h.Set("Cache-Control", s.CacheControl)
		h.Set("ETag", fileETag(t.URL, obj.ETag))
		if choice.Vary != "" {
			h.Set("Vary", choice.Vary)
		}
		http.ServeContent(w, r, "", obj.ModTime, obj)
	}}, nil
}

// fileETag makes the store's entity tag of a file unique to the file: a directory's tag is
// its size and modification time, which two files of a photo (a JPEG and a WebP written in
// the same clock tick) may share, and a cache holding both under one URL (Vary: Accept)
// would take a 304 for one as a 304 for the other.
func fileETag(url, etag string) string {
	h := fnv.New64a()
	h.Write([]byte(url))
	return fmt.Sprintf(`"%x-%s`, h.Sum64(), strings.TrimPrefix(etag, `"`))
}

// redirect answers 302 with a presigned link. The browser may keep the redirect for half the
// link's life, so a page reloaded meanwhile reuses the image it already has.
func (s *Thumbnails) redirect(ctx context.Context, id uuid.UUID, t store.Thumbnail, vary string) (*huma.StreamResponse, error) {
	link, err := s.Store.Presign(ctx, t.URL, s.PresignExpiry)
	if err != nil {
		return nil, s.storageProblem(ctx, id, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		_, w := humago.Unwrap(hctx)
		w.Header().Set("Location", link)
		w.Header().Set("Cache-Control", fmt.Sprintf("private, max-age=%d", int(s.PresignExpiry.Seconds()/2)))
		if vary != "" {
			w.Header().Set("Vary", vary)
		}
		w.WriteHeader(http.StatusFound)
	}}, nil
}

// storageProblem turns a store's error into a problem: a thumbnail recorded but missing is
// 404, a store that cannot be read is 503; the details go to the log only.
func (s *Thumbnails) storageProblem(ctx context.Context, id uuid.UUID, err error) error {
	log := RequestLogger(ctx, s.Log)
	if errors.Is(err, thumbstore.ErrNotFound) {
		log.Warn("thumbnail recorded but not in storage", "photo_uuid", id, "err", err)
		return huma.Error404NotFound("This photo's thumbnail is recorded but missing from storage.")
	}
	log.Error("read thumbnail", "photo_uuid", id, "err", err)
	return huma.Error503ServiceUnavailable("Thumbnail storage is unavailable: try again shortly.")
}

// PhotoNotFound is the problem for a photo UUID in a route's path that names no photo.
func PhotoNotFound(id string) error {
	return huma.Error404NotFound("No photo has this UUID.",
		&huma.ErrorDetail{Location: "path.uuid", Value: id, Message: "no such photo"})
}
