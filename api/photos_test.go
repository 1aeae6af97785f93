package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

var nextLink = regexp.MustCompile(`^<(/photos/pending\?[^>]+)>; rel="next"$`)

func TestListPendingPagesOldestFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := time.Now().Add(-time.Hour)
	want := map[uuid.UUID]bool{}
	for i := range 250 {
		p := b.photo(t, &storetest.PhotoOpts{CreatedAt: base.Add(time.Duration(i) * time.Second)})
		want[p.UUID] = true
	}
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted}) // never listed

	var got []api.Photo
	var sizes []int
	next := "/photos/pending?limit=100"
	for next != "" {
		r := b.do(t, http.MethodGet, next, "")
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.Status, r.Body)
		}
		var page []api.Photo
		r.JSON(t, &page)
		got = append(got, page...)
		sizes = append(sizes, len(page))
		next = ""
		if link := r.Header.Get("Link"); link != "" {
			m := nextLink.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("Link header %q is not an RFC 8288 next link", link)
			}
			next = m[1]
		}
	}
	if len(got) != 250 || len(sizes) != 3 || sizes[0] != 100 || sizes[2] != 50 {
		t.Fatalf("pages of %v photos, want 100, 100, 50", sizes)
	}
	for i, p := range got {
		if !want[p.UUID] || p.Status != "pending" {
			t.Fatalf("photo %d = %+v: not one of the pending photos, or listed twice", i, p)
		}
		delete(want, p.UUID)
		if i > 0 && p.CreatedAt.Before(got[i-1].CreatedAt) {
			t.Fatalf("photo %d is older than photo %d: not oldest first", i, i-1)
		}
	}
}

func TestListPendingRejectsBadQueries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"limit=0", 422},
		{"limit=1001", 422},
		{"limit=ten", 422},
		{"after=nope", 422},
		{"after=" + uuid.NewString(), 400},
	} {
		b.do(t, http.MethodGet, "/photos/pending?"+tc.query, "").Problem(t, tc.status)
	}
}

func TestGetPhotoAndThumbnail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := b.photo(t, nil)

	b.do(t, http.MethodGet, "/photos/"+uuid.NewString(), "").Problem(t, http.StatusNotFound)
	b.do(t, http.MethodGet, "/photos/not-a-uuid", "").Problem(t, http.StatusUnprocessableEntity)
	b.do(t, http.MethodGet, "/photos/"+p.UUID.String()+"/thumbnail", "").Problem(t, http.StatusNotFound)

	jpeg := []byte("\xff\xd8\xff\xe0 a thumbnail\xff\xd9")
	name := p.UUID.String() + ".jpg"
	if err := os.WriteFile(filepath.Join(b.thumbs, name), jpeg, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.store.Claim(ctx, p.UUID, store.ClaimOpts{Lease: time.Minute, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := b.store.Complete(ctx, p.UUID, store.Thumbnail{PhotoUUID: p.UUID, Width: 320, Height: 213, Size: 320, URL: name}); err != nil {
		t.Fatal(err)
	}

	r := b.do(t, http.MethodGet, "/photos/"+p.UUID.String(), "")
	var d api.PhotoDetail
	r.JSON(t, &d)
	if r.Status != 200 || d.Status != "completed" || len(d.Thumbnails) != 1 || d.Thumbnails[0].Width != 320 ||
		d.Thumbnails[0].Height != 213 || d.Thumbnails[0].Format != "jpeg" || !d.Thumbnails[0].Primary ||
		d.Thumbnails[0].Href != "/photos/"+p.UUID.String()+"/thumbnail?format=jpeg&size=320" {
		t.Fatalf("GET photo = %d %s", r.Status, r.Body)
	}

	r = b.do(t, http.MethodGet, "/photos/"+p.UUID.String()+"/thumbnail", "")
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/jpeg" || string(r.Body) != string(jpeg) {
		t.Fatalf("GET thumbnail = %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	etag := r.Header.Get("ETag")
	if etag == "" || !strings.Contains(r.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("thumbnail lacks caching headers: %v", r.Header)
	}
	if r := b.do(t, http.MethodGet, d.Thumbnails[0].Href, "", "If-None-Match", etag); r.Status != http.StatusNotModified {
		t.Fatalf("conditional GET = %d, want 304", r.Status)
	}
}

// TestThumbnailStaysInsideItsDirectory plants a row whose path climbs out of the thumbnails
// directory: the API must refuse it, not serve the file.
func TestThumbnailStaysInsideItsDirectory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	secret := filepath.Join(filepath.Dir(b.thumbs), "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../secret.txt", secret} {
		if _, err := b.db.Exec(context.Background(), `DELETE FROM photo_thumbnails WHERE photo_uuid = $1`, p.UUID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.Exec(context.Background(),
			`INSERT INTO photo_thumbnails (photo_uuid, width, height, size, url) VALUES ($1, 1, 1, 320, $2)`, p.UUID, path); err != nil {
			t.Fatal(err)
		}
		r := b.do(t, http.MethodGet, "/photos/"+p.UUID.String()+"/thumbnail", "")
		if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "secret") {
			t.Fatalf("thumbnail url %q served %d %q, want 404", path, r.Status, r.Body)
		}
	}
}

func TestHealthDocsAndOpenAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.do(t, http.MethodGet, "/healthz", ""); r.Status != 200 {
		t.Fatalf("healthz %d", r.Status)
	}
	r := b.do(t, http.MethodGet, "/readyz", "")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"postgres":"ok"`) || !strings.Contains(string(r.Body), `"rabbitmq":"ok"`) {
		t.Fatalf("readyz %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/openapi.json", "/openapi.yaml"} {
		if r := b.do(t, http.MethodGet, path, ""); r.Status != 200 || !strings.Contains(string(r.Body), "/photos/process") {
			t.Fatalf("%s: %d", path, r.Status)
		}
	}
	r = b.do(t, http.MethodGet, "/docs", "")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("docs %d %v", r.Status, r.Header)
	}
	// Offline: the page may not load anything from another origin.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).Find(r.Body); m != nil {
		t.Fatalf("docs page loads from another origin: %s", m)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the docs page")
	}
}
