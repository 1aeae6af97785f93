package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
	"github.com/photoproc/photoproc/thumbstore"
	"github.com/photoproc/photoproc/thumbstore/s3test"
)

// Several sizes and formats of one photo: which file GET /photos/{uuid}/thumbnail sends for
// ?size=, ?format= and Accept, with what headers, and what GET /photos/{uuid} lists. Files and
// rows are written here as the pool writes them (thumbstore keys, one row per box and format).

// made is one thumbnail file stored and recorded.
type made struct {
	row  store.Thumbnail
	data []byte
}

// storeSet stores and records a thumbnail for each "box format" of specs for a completed
// photo, each file's bytes naming it, the first box's JPEG as the primary <uuid>.jpg.
func (b *bundle) storeSet(t *testing.T, specs ...string) (store.Photo, map[string]made) {
	t.Helper()
	ctx := context.Background()
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	set := map[string]made{}
	for i, spec := range specs {
		var box int
		var format string
		if _, err := fmt.Sscanf(spec, "%d %s", &box, &format); err != nil {
			t.Fatal(err)
		}
		data := []byte(fmt.Sprintf("%s of %s", spec, p.UUID))
		url, err := b.thumbstore.Put(ctx, thumbstore.Key(p.UUID, box, format, i == 0), data)
		if err != nil {
			t.Fatal(err)
		}
		row := storetest.Thumbnail(ctx, t, b.db, store.Thumbnail{PhotoUUID: p.UUID, Size: box, Format: format,
			Width: box, Height: box * 3 / 4, URL: url})
		set[spec] = made{row, data}
	}
	return p, set
}

const chromeAccept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

func TestThumbnailNegotiation(t *testing.T) {
	t.Parallel()
	cfg := api.DefaultConfig()
	cfg.ThumbnailSizes = []int{320, 640}
	b := setupWith(t, localStore(t), cfg)
	p, set := b.storeSet(t, "320 jpeg", "320 webp", "320 avif", "640 jpeg", "640 webp")
	// Made under older settings: one 200 box, not a configured one.
	old, oldSet := b.storeSet(t, "200 jpeg")
	href := func(id uuid.UUID, query string) string { return "/photos/" + id.String() + "/thumbnail" + query }

	for _, c := range []struct {
		query, accept string
		want          string // the file sent, "box format" of set
		vary          bool
	}{
		{"", chromeAccept, "320 avif", true},
		{"", "image/webp,image/apng,image/*,*/*;q=0.8", "320 webp", true}, // names WebP only
		{"", "image/avif;q=0.5,image/webp;q=0.9", "320 webp", true},
		{"", "image/avif;q=0,image/webp", "320 webp", true},
		{"", "image/avif;q=0.5,image/webp;q=0.4,*/*", "320 jpeg", true},
		{"", "*/*", "320 jpeg", true},
		{"", "image/*", "320 jpeg", true},
		{"", "", "320 jpeg", true}, // no Accept
		{"?size=640", chromeAccept, "640 webp", true},
		{"?size=640", "", "640 jpeg", true},
		{"?format=avif", "", "320 avif", false}, // an explicit format ignores Accept
		{"?format=jpeg", chromeAccept, "320 jpeg", false},
		{"?size=640&format=jpeg", chromeAccept, "640 jpeg", false},
	} {
		r := b.do(t, http.MethodGet, href(p.UUID, c.query), "", "Accept", c.accept)
		want := set[c.want]
		ct := "image/" + want.row.Format
		if r.Status != 200 || string(r.Body) != string(want.data) || r.Header.Get("Content-Type") != ct {
			t.Errorf("%s, Accept %q: %d %q %q; want %s (%s)", c.query, c.accept, r.Status, r.Header.Get("Content-Type"), r.Body, c.want, ct)
		}
		if vary := r.Header.Get("Vary") == "Accept"; vary != c.vary {
			t.Errorf("%s, Accept %q: Vary %q, want Accept: %v", c.query, c.accept, r.Header.Get("Vary"), c.vary)
		}
	}

	// Made under older settings: the default box is not stored, the primary is served.
	r := b.do(t, http.MethodGet, href(old.UUID, ""), "", "Accept", chromeAccept)
	if r.Status != 200 || string(r.Body) != string(oldSet["200 jpeg"].data) || r.Header.Get("Vary") != "" {
		t.Errorf("photo of older settings: %d %q, Vary %q; want its 200 JPEG", r.Status, r.Body, r.Header.Get("Vary"))
	}

	// One ETag per file: a client holding the WebP is not told its copy is the AVIF.
	webp := b.do(t, http.MethodGet, href(p.UUID, "?format=webp"), "")
	avif := b.do(t, http.MethodGet, href(p.UUID, "?format=avif"), "")
	if webp.Header.Get("ETag") == "" || webp.Header.Get("ETag") == avif.Header.Get("ETag") {
		t.Errorf("ETags of the WebP and the AVIF: %q, %q; want two", webp.Header.Get("ETag"), avif.Header.Get("ETag"))
	}
	if r := b.do(t, http.MethodGet, href(p.UUID, ""), "", "Accept", chromeAccept, "If-None-Match", webp.Header.Get("ETag")); r.Status != 200 {
		t.Errorf("If-None-Match of the WebP, the AVIF chosen: %d, want 200", r.Status)
	}
	if r := b.do(t, http.MethodGet, href(p.UUID, ""), "", "Accept", chromeAccept, "If-None-Match", avif.Header.Get("ETag")); r.Status != http.StatusNotModified {
		t.Errorf("If-None-Match of the AVIF, the AVIF chosen: %d, want 304", r.Status)
	}

	// Not stored: 404 naming what is.
	stored := "stored: 320 avif, 320 jpeg, 320 webp, 640 jpeg, 640 webp."
	for query, what := range map[string]string{
		"?size=1280":             "This photo has no thumbnail of box 1280; " + stored,
		"?size=640&format=avif":  "This photo has no 640 avif thumbnail; " + stored,
		"?size=1280&format=jpeg": "This photo has no thumbnail of box 1280; " + stored,
	} {
		if pr := b.do(t, http.MethodGet, href(p.UUID, query), "").Problem(t, http.StatusNotFound); pr.Detail != what {
			t.Errorf("%s: %q, want %q", query, pr.Detail, what)
		}
	}
	// Not a box or a format at all: refused before anything is read.
	for _, query := range []string{"?format=gif", "?format=JPEG", "?size=0", "?size=-1", "?size=big", "?size=40000"} {
		pr := b.do(t, http.MethodGet, href(p.UUID, query), "").Problem(t, http.StatusUnprocessableEntity)
		if len(pr.Errors) == 0 || !strings.HasPrefix(pr.Errors[0].Location, "query.") {
			t.Errorf("%s: errors %+v, want one about the query", query, pr.Errors)
		}
	}
}

func TestGetPhotoListsEveryThumbnail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p, set := b.storeSet(t, "320 jpeg", "320 webp", "640 jpeg", "640 webp")
	hash := []byte{0x1f, 0x08, 0x0a, 0x35, 0x86, 0x77, 0x88, 0x70, 0x78, 0x87, 0x77, 0x48, 0x79, 0x70, 0x70, 0x07, 0x97, 0x60, 0x80, 0x08, 0x60}
	if _, err := b.db.Exec(ctx, `UPDATE photos SET thumbhash = $2 WHERE uuid = $1`, p.UUID, hash); err != nil {
		t.Fatal(err)
	}

	r := b.do(t, http.MethodGet, "/photos/"+p.UUID.String(), "")
	var d api.PhotoDetail
	r.JSON(t, &d)
	var raw struct {
		ThumbHash string `json:"thumbhash"`
	}
	r.JSON(t, &raw)
	if r.Status != 200 || raw.ThumbHash != base64.StdEncoding.EncodeToString(hash) {
		t.Fatalf("GET photo = %d, thumbhash %q; want %q in standard base64: %s", r.Status, raw.ThumbHash, base64.StdEncoding.EncodeToString(hash), r.Body)
	}
	order := []string{"320 jpeg", "320 webp", "640 jpeg", "640 webp"} // smallest box first
	if len(d.Thumbnails) != len(order) {
		t.Fatalf("thumbnails %+v, want %d", d.Thumbnails, len(order))
	}
	for i, spec := range order {
		got, want := d.Thumbnails[i], set[spec].row
		if got.UUID != want.UUID || got.Size != want.Size || got.Format != want.Format || got.Width != want.Width ||
			got.Height != want.Height || got.URL != want.URL || got.Primary != (i == 0) {
			t.Errorf("thumbnail %d = %+v, want %s: %+v (primary %v)", i, got, spec, want, i == 0)
		}
		r := b.do(t, http.MethodGet, got.Href, "", "Accept", chromeAccept)
		if r.Status != 200 || string(r.Body) != string(set[spec].data) || r.Header.Get("Content-Type") != "image/"+want.Format {
			t.Errorf("GET %s = %d %q %q, want the %s", got.Href, r.Status, r.Header.Get("Content-Type"), r.Body, spec)
		}
	}

	// No ThumbHash yet (a photo made before them): null, not an empty string.
	q, _ := b.storeSet(t, "320 jpeg")
	r = b.do(t, http.MethodGet, "/photos/"+q.UUID.String(), "")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"thumbhash":null`) {
		t.Errorf("photo without a ThumbHash = %d %s, want \"thumbhash\":null", r.Status, r.Body)
	}
}

// localStore is a thumbnail store in a directory of the test's own.
func localStore(t *testing.T) thumbstore.Config {
	t.Helper()
	cfg := thumbstore.DefaultConfig()
	cfg.Dir = t.TempDir()
	return cfg
}

// On a bucket the same: the row's format sets Content-Type, whatever the object says; a
// presigned redirect chosen by Accept says Vary: Accept too.
func TestThumbnailFormatsFromS3(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	b := setupWith(t, srv.Config(srv.Bucket(t), "thumbs"), api.DefaultConfig())
	p, set := b.storeSet(t, "320 jpeg", "320 webp")
	href := "/photos/" + p.UUID.String() + "/thumbnail"
	for accept, want := range map[string]string{chromeAccept: "320 webp", "": "320 jpeg"} {
		r := b.do(t, http.MethodGet, href, "", "Accept", accept)
		if r.Status != 200 || string(r.Body) != string(set[want].data) || r.Header.Get("Content-Type") != "image/"+set[want].row.Format ||
			r.Header.Get("Vary") != "Accept" || r.Header.Get("ETag") == "" {
			t.Errorf("Accept %q: %d %v %q, want the %s", accept, r.Status, r.Header, r.Body, want)
		}
	}

	cfg := api.DefaultConfig()
	cfg.ThumbnailDelivery = api.DeliveryPresigned
	presigning := setupWith(t, srv.Config(srv.Bucket(t), ""), cfg)
	p, _ = presigning.storeSet(t, "320 jpeg", "320 webp")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(http.MethodGet, presigning.srv.URL+"/photos/"+p.UUID.String()+"/thumbnail", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", chromeAccept)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, p.UUID.String()+"-320.webp") ||
		resp.Header.Get("Vary") != "Accept" {
		t.Errorf("presigned = %d to %q, Vary %q; want 302 to the WebP, Vary Accept", resp.StatusCode, loc, resp.Header.Get("Vary"))
	}
}
