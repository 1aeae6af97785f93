package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/admin"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
	"github.com/photoproc/photoproc/thumbstore"
)

// storeSet stores and records, for a new completed photo, a thumbnail for each "box format"
// of specs, made at at; the first is the primary <uuid>.jpg. A spec of "640 jpeg=320"
// records box 640 as naming the 320 file (a source smaller than 640).
func (b *bundle) storeSet(t *testing.T, at time.Time, specs ...string) (store.Photo, map[string]store.Thumbnail) {
	t.Helper()
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	return p, b.addThumbnails(t, p, at, true, specs...)
}

// addThumbnails stores and records thumbnails of p as storeSet does; the first is the
// primary only when primary is set (a backfill makes none).
func (b *bundle) addThumbnails(t *testing.T, p store.Photo, at time.Time, primary bool, specs ...string) map[string]store.Thumbnail {
	t.Helper()
	ctx := context.Background()
	urls := map[string]string{}
	rows := map[string]store.Thumbnail{}
	for i, spec := range specs {
		var box, shared int
		var format string
		if n, _ := fmt.Sscanf(spec, "%d %4s=%d", &box, &format, &shared); n < 2 {
			t.Fatalf("spec %q", spec)
		}
		key := fmt.Sprintf("%d %s", box, format)
		url, ok := urls[fmt.Sprintf("%d %s", shared, format)]
		if !ok {
			var err error
			url, err = b.thumbstore.Put(ctx, thumbstore.Key(p.UUID, box, format, primary && i == 0), []byte(key+" of "+p.UUID.String()))
			if err != nil {
				t.Fatal(err)
			}
			urls[key] = url
		}
		rows[key] = storetest.Thumbnail(ctx, t, b.db, store.Thumbnail{PhotoUUID: p.UUID, Size: box, Format: format,
			Width: min(box, 300), Height: min(box, 300) / 2, URL: url, CreatedAt: at})
	}
	return rows
}

// A photo of several sizes and formats: its details list every thumbnail with its file's
// size and a link that serves exactly it; the gallery shows its primary once.
func TestAdminSeveralSizesAndFormats(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	base := time.Now().Add(-time.Hour)
	first, _ := a.storeSet(t, base, "320 jpeg", "320 webp")
	// A source of 300 px: the 640 box names the 320 file, in both formats.
	small, smallRows := a.storeSet(t, base.Add(time.Minute), "320 jpeg", "640 jpeg=320", "320 webp", "640 webp=320", "320 avif")
	// Settings changed: 256 is now the first box, backfilled later as <uuid>-256.jpg.
	changed, changedRows := a.storeSet(t, base.Add(2*time.Minute), "320 jpeg", "320 webp")
	a.addThumbnails(t, changed, base.Add(3*time.Minute), false, "256 jpeg")

	var d admin.PhotoDetail
	r := a.do(t, http.MethodGet, "/api/photos/"+small.UUID.String(), "")
	r.JSON(t, &d)
	want := []string{"320 avif", "320 jpeg", "320 webp", "640 jpeg", "640 webp"}
	if r.Status != 200 || len(d.Thumbnails) != len(want) {
		t.Fatalf("details = %d %s, want %d thumbnails", r.Status, r.Body, len(want))
	}
	for i, th := range d.Thumbnails {
		row := smallRows[want[i]]
		if got := fmt.Sprintf("%d %s", th.Size, th.Format); got != want[i] || th.Width != row.Width || th.Height != row.Height || th.URL != row.URL {
			t.Errorf("thumbnail %d = %+v, want %s %+v", i, th, want[i], row)
		}
		if th.Primary != (want[i] == "320 jpeg") {
			t.Errorf("%s: primary %v", want[i], th.Primary)
		}
		r := a.do(t, http.MethodGet, th.Href, "", "Accept", "image/avif,image/webp,*/*")
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/"+th.Format || int64(len(r.Body)) != th.Bytes {
			t.Errorf("GET %s = %d %q, %d bytes; want the %s of %d bytes", th.Href, r.Status, r.Header.Get("Content-Type"), len(r.Body), want[i], th.Bytes)
		}
	}

	// A file gone from storage: its size is unknown, the rest still listed.
	if err := os.Remove(filepath.Join(a.thumbs, small.UUID.String()+"-320.avif")); err != nil {
		t.Fatal(err)
	}
	d = admin.PhotoDetail{}
	a.do(t, http.MethodGet, "/api/photos/"+small.UUID.String(), "").JSON(t, &d)
	if len(d.Thumbnails) != 5 || d.Thumbnails[0].Bytes != 0 || d.Thumbnails[1].Bytes == 0 {
		t.Errorf("after the AVIF went: %+v", d.Thumbnails)
	}

	// The gallery: one tile a photo, its primary, the photo thumbnailed last first.
	var g struct{ Thumbnails []admin.GalleryItem }
	r = a.do(t, http.MethodGet, "/api/thumbnails", "")
	r.JSON(t, &g)
	wantGallery := []struct {
		photo uuid.UUID
		row   store.Thumbnail
	}{{changed.UUID, changedRows["320 jpeg"]}, {small.UUID, smallRows["320 jpeg"]}, {first.UUID, store.Thumbnail{Size: 320, Format: "jpeg"}}}
	if r.Status != 200 || len(g.Thumbnails) != len(wantGallery) {
		t.Fatalf("gallery = %d %s, want %d tiles", r.Status, r.Body, len(wantGallery))
	}
	for i, w := range wantGallery {
		it := g.Thumbnails[i]
		if it.PhotoUUID != w.photo || it.Size != w.row.Size || it.Format != "jpeg" {
			t.Errorf("tile %d = %+v, want photo %s's %d jpeg", i, it, w.photo, w.row.Size)
		}
		r := a.do(t, http.MethodGet, it.Href, "", "Accept", "image/avif,image/webp,*/*")
		if want := fmt.Sprintf("%d jpeg of %s", w.row.Size, w.photo); r.Status != 200 || string(r.Body) != want || r.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("GET %s = %d %q, want %q", it.Href, r.Status, r.Body, want)
		}
	}

	// The thumbnail route without a size: the primary's box; a format or box not stored, 404.
	r = a.do(t, http.MethodGet, "/api/photos/"+changed.UUID.String()+"/thumbnail?format=jpeg", "")
	if want := "320 jpeg of " + changed.UUID.String(); r.Status != 200 || string(r.Body) != want {
		t.Errorf("thumbnail without size = %d %q, want %q", r.Status, r.Body, want)
	}
	p := a.do(t, http.MethodGet, "/api/photos/"+first.UUID.String()+"/thumbnail?size=640", "").Problem(t, http.StatusNotFound)
	if want := "This photo has no thumbnail of box 640; stored: 320 jpeg, 320 webp."; p.Detail != want {
		t.Errorf("box not stored: %q, want %q", p.Detail, want)
	}
	a.do(t, http.MethodGet, "/api/photos/"+first.UUID.String()+"/thumbnail?format=png", "").Problem(t, http.StatusUnprocessableEntity)
}
