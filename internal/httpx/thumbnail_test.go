package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// fakePhotos and fakeThumbStore stand in for Postgres and the thumbnail store: what is tested
// here is how Thumbnails turns their answers into HTTP.
type fakePhotos map[uuid.UUID][]store.Thumbnail

func (f fakePhotos) Photo(_ context.Context, id uuid.UUID) (store.Photo, []store.Thumbnail, error) {
	thumbs, ok := f[id]
	if !ok {
		return store.Photo{}, nil, store.ErrNotFound
	}
	return store.Photo{UUID: id, Status: store.StatusCompleted}, thumbs, nil
}

type fakeThumbStore struct {
	files map[string]string // url → bytes
	err   error             // returned by every call when set
}

type readSeekNopCloser struct{ *bytes.Reader }

func (readSeekNopCloser) Close() error { return nil }

func (f fakeThumbStore) Open(_ context.Context, url string) (*thumbstore.Object, error) {
	if f.err != nil {
		return nil, f.err
	}
	data, ok := f.files[url]
	if !ok {
		return nil, thumbstore.ErrNotFound
	}
	return &thumbstore.Object{ReadSeekCloser: readSeekNopCloser{bytes.NewReader([]byte(data))},
		Info: thumbstore.Info{Size: int64(len(data)), ModTime: time.Unix(1700000000, 0), ETag: `"` + url + `"`}}, nil
}

func (f fakeThumbStore) Presign(_ context.Context, url string, expiry time.Duration) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	return "https://bucket.example.com/" + url + "?expires=" + expiry.String(), nil
}

// serve runs th behind one huma route, GET /photos/{uuid}/thumbnail, picking with pick.
func serve(t *testing.T, th *httpx.Thumbnails, pick httpx.Pick) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	hc := huma.DefaultConfig("test", "1")
	httpx.NoSchemaLinks(&hc)
	h := humago.New(mux, hc)
	huma.Get(h, "/photos/{uuid}/thumbnail", func(ctx context.Context, in *struct {
		UUID string `path:"uuid" format:"uuid"`
	}) (*huma.StreamResponse, error) {
		return th.Serve(ctx, uuid.MustParse(in.UUID), pick)
	})
	srv := httptest.NewServer(httpx.WithRequestLog(mux, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv
}

// get sends a GET with header, not following redirects.
func get(t *testing.T, url string, header http.Header) (testkit.Response, string) {
	t.Helper()
	req := testkit.Request(t, http.MethodGet, url, "")
	maps.Copy(req.Header, header)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := testkit.Do(t, client, req)
	return resp, string(resp.Body)
}

func TestThumbnailsStatuses(t *testing.T) {
	t.Parallel()
	withTwo, withNone, missing := uuid.New(), uuid.New(), uuid.New()
	photos := fakePhotos{
		withTwo:  {{PhotoUUID: withTwo, Size: 320, URL: withTwo.String() + ".jpg"}, {PhotoUUID: withTwo, Size: 640, URL: "big.jpg"}},
		withNone: nil,
		missing:  {{Size: 320, URL: "gone.jpg"}},
	}
	files := fakeThumbStore{files: map[string]string{withTwo.String() + ".jpg": "primary bytes", "big.jpg": "big bytes"}}
	for _, c := range []struct {
		name    string
		store   fakeThumbStore
		photo   uuid.UUID
		status  int
		body    string // part of the body
		problem bool
	}{
		{"the primary", files, withTwo, 200, "primary bytes", false},
		{"no such photo", files, uuid.New(), 404, "No photo has this UUID", true},
		{"no thumbnail yet", files, withNone, 404, "no thumbnail yet (status completed)", true},
		{"recorded but missing", files, missing, 404, "recorded but missing from storage", true},
		{"store unavailable", fakeThumbStore{err: thumbstore.ErrUnavailable}, withTwo, 503, "Thumbnail storage is unavailable", true},
		{"store failing otherwise", fakeThumbStore{err: errors.New("connection reset by s3.internal")}, withTwo, 503, "try again shortly", true},
	} {
		srv := serve(t, &httpx.Thumbnails{Photos: photos, Store: c.store, CacheControl: "public, max-age=60"}, httpx.Want{}.Pick)
		resp, body := get(t, srv.URL+"/photos/"+c.photo.String()+"/thumbnail", nil)
		if resp.Status != c.status || !strings.Contains(body, c.body) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, resp.Status, body, c.status, c.body)
		}
		if ct := resp.Header.Get("Content-Type"); c.problem != (ct == "application/problem+json") {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
		if strings.Contains(body, "s3.internal") {
			t.Errorf("%s: the store's error text reached the client: %s", c.name, body)
		}
	}
}

// Streamed bytes carry the caching headers the listener asked for and answer conditional
// requests; a picker's Vary is passed on.
func TestThumbnailsStreamCaching(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	th := &httpx.Thumbnails{Photos: fakePhotos{id: {{Size: 320, Format: "webp", URL: "a.webp"}}},
		Store: fakeThumbStore{files: map[string]string{"a.webp": "webp bytes"}}, CacheControl: "private, no-cache"}
	pick := func(thumbs []store.Thumbnail) (httpx.Choice, error) {
		return httpx.Choice{Thumbnail: thumbs[0], Vary: "Accept"}, nil
	}
	srv := serve(t, th, pick)
	url := srv.URL + "/photos/" + id.String() + "/thumbnail"
	resp, body := get(t, url, nil)
	h := resp.Header
	etag := h.Get("ETag")
	if resp.Status != 200 || body != "webp bytes" || h.Get("Content-Type") != "image/webp" ||
		h.Get("Cache-Control") != "private, no-cache" || !strings.HasSuffix(etag, `-a.webp"`) || h.Get("Vary") != "Accept" ||
		h.Get("Last-Modified") == "" {
		t.Fatalf("GET = %d %q %v", resp.Status, body, h)
	}
	if resp, _ := get(t, url, http.Header{"If-None-Match": {etag}}); resp.Status != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", resp.Status)
	}
	if resp, body := get(t, url, http.Header{"Range": {"bytes=0-3"}}); resp.Status != http.StatusPartialContent || body != "webp" {
		t.Errorf("Range = %d %q, want 206 \"webp\"", resp.Status, body)
	}
}

// With PresignExpiry the answer is a redirect the browser may keep for half the link's life.
func TestThumbnailsPresigned(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	th := &httpx.Thumbnails{Photos: fakePhotos{id: {{Size: 320, URL: "a.jpg"}}},
		Store: fakeThumbStore{files: map[string]string{}}, CacheControl: "public", PresignExpiry: 10 * time.Minute}
	srv := serve(t, th, httpx.Want{}.Pick)
	resp, _ := get(t, srv.URL+"/photos/"+id.String()+"/thumbnail", nil)
	if resp.Status != http.StatusFound || resp.Header.Get("Location") != "https://bucket.example.com/a.jpg?expires=10m0s" ||
		resp.Header.Get("Cache-Control") != "private, max-age=300" {
		t.Fatalf("presigned = %d %v", resp.Status, resp.Header)
	}
}

// A picker's error is sent as it is: the seam where ?size= and ?format= say what is stored.
func TestThumbnailsPickerProblem(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	th := &httpx.Thumbnails{Photos: fakePhotos{id: {{Size: 320, URL: "a.jpg"}}}, Store: fakeThumbStore{}}
	srv := serve(t, th, func([]store.Thumbnail) (httpx.Choice, error) {
		return httpx.Choice{}, huma.Error404NotFound("No 640 box is stored; there are: 320.")
	})
	resp, body := get(t, srv.URL+"/photos/"+id.String()+"/thumbnail", nil)
	var p struct{ Detail string }
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.Status != 404 || p.Detail != "No 640 box is stored; there are: 320." {
		t.Fatalf("picker problem = %d %s (%v)", resp.Status, body, err)
	}
}
