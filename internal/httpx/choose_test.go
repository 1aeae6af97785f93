package httpx_test

import (
	"errors"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/store"
)

// rows makes a photo's rows from "size format file" triples, the file "" for <uuid>.jpg.
func rows(id uuid.UUID, specs ...any) []store.Thumbnail {
	var out []store.Thumbnail
	for i := 0; i+2 < len(specs); i += 3 {
		file := specs[i+2].(string)
		if file == "" {
			file = id.String() + ".jpg"
		}
		out = append(out, store.Thumbnail{PhotoUUID: id, Size: specs[i].(int), Format: specs[i+1].(string), URL: file})
	}
	return out
}

// Browsers' Accept headers for images, as they send them.
const (
	chrome   = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	chrome80 = "image/webp,image/apng,image/*,*/*;q=0.8" // before AVIF
	firefox  = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
	safari17 = "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
	edgeOld  = "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5" // neither WebP nor AVIF
	curl     = "*/*"
	noHeader = ""
)

func TestPickNegotiatesFormat(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	all := rows(id, 320, "jpeg", "", 320, "webp", "w", 320, "avif", "a")
	noAVIF := rows(id, 320, "jpeg", "", 320, "webp", "w")
	noJPEG := rows(id, 320, "webp", "w", 320, "avif", "a") // not made today; rows of it must still be served
	for _, c := range []struct {
		accept string
		thumbs []store.Thumbnail
		want   string
	}{
		{chrome, all, "avif"},
		{firefox, all, "avif"},
		{safari17, all, "avif"}, // names WebP first at the same q: ours breaks the tie
		{chrome80, all, "webp"}, // image/* at q=1 does not make it take AVIF
		{edgeOld, all, "jpeg"},
		{curl, all, "jpeg"},
		{noHeader, all, "jpeg"},
		{"image/*", all, "jpeg"},
		{chrome, noAVIF, "webp"},
		{"image/avif", noAVIF, "jpeg"}, // nothing stored is acceptable: the header is disregarded
		{"text/html", all, "jpeg"},
		{"image/*;q=0", all, "jpeg"},
		{"image/avif;q=0.5,image/webp;q=0.9,image/jpeg;q=0.4", all, "webp"},
		{"image/avif;q=0.5, image/webp;q=0.4, */*", all, "jpeg"}, // JPEG through */* at q=1 beats both
		{"image/webp;q=0.8,image/jpeg", all, "jpeg"},
		{chrome80 + ",image/avif;q=0", all, "webp"},
		{"image/*, image/avif;q=0, image/webp;q=0", all, "jpeg"}, // the most specific range decides
		{"image/avif,image/webp;q=0,image/jpeg;q=0", all, "avif"},
		{"image/jpeg;q=0,image/webp;q=0,*/*", all, "avif"}, // a wildcard reaches AVIF when nothing named is acceptable
		{"IMAGE/WEBP ; q=0.9 , image/jpeg;q=0.5", all, "webp"},
		{curl, noJPEG, "avif"},
		{"image/webp", noJPEG, "webp"},
	} {
		got, err := httpx.Want{Default: 320, Accept: c.accept}.Pick(c.thumbs)
		if err != nil {
			t.Errorf("Accept %q: %v", c.accept, err)
			continue
		}
		if got.Thumbnail.Format != c.want || got.Vary != "Accept" {
			t.Errorf("Accept %q among %d formats = %s, Vary %q; want %s, Vary Accept", c.accept, len(c.thumbs), got.Thumbnail.Format, got.Vary, c.want)
		}
	}
}

func TestPickSizeAndFormat(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	set := rows(id, 320, "jpeg", "", 320, "webp", "320w", 640, "jpeg", "640j", 640, "webp", "640w", 1280, "jpeg", "1280j")
	// A small source: one file for every box, each box a row naming it.
	shared := rows(id, 320, "jpeg", "", 640, "jpeg", "", 1280, "jpeg", "")
	for _, c := range []struct {
		name     string
		want     httpx.Want
		thumbs   []store.Thumbnail
		url      string // the row chosen
		vary     string
		notFound string // the 404's detail instead
	}{
		{"default box, negotiated", httpx.Want{Default: 320, Accept: chrome}, set, "320w", "Accept", ""},
		{"a box, negotiated", httpx.Want{Default: 320, Size: 640, Accept: chrome}, set, "640w", "Accept", ""},
		{"a box of one format: nothing to negotiate", httpx.Want{Default: 320, Size: 1280, Accept: chrome}, set, "1280j", "", ""},
		{"an explicit format ignores Accept", httpx.Want{Default: 320, Format: "jpeg", Accept: chrome}, set, id.String() + ".jpg", "", ""},
		{"box and format", httpx.Want{Default: 320, Size: 640, Format: "webp"}, set, "640w", "", ""},
		{"default box not stored: the primary's", httpx.Want{Default: 256, Accept: chrome}, set, "320w", "Accept", ""},
		{"no default: the primary's", httpx.Want{Format: "jpeg"}, set, id.String() + ".jpg", "", ""},
		{"shared file, no row of the default box", httpx.Want{Default: 200, Format: "jpeg"}, shared, id.String() + ".jpg", "", ""},
		{"shared file, a larger box", httpx.Want{Default: 320, Size: 1280}, shared, id.String() + ".jpg", "", ""},
		{"box not stored", httpx.Want{Default: 320, Size: 2048, Accept: chrome}, set, "", "",
			"This photo has no thumbnail of box 2048; stored: 320 jpeg, 320 webp, 640 jpeg, 640 webp, 1280 jpeg."},
		{"format not stored", httpx.Want{Default: 320, Size: 1280, Format: "webp"}, set, "", "",
			"This photo has no 1280 webp thumbnail; stored: 320 jpeg, 320 webp, 640 jpeg, 640 webp, 1280 jpeg."},
		{"format not stored at the default box", httpx.Want{Default: 320, Format: "avif"}, shared, "", "",
			"This photo has no 320 avif thumbnail; stored: 320 jpeg, 640 jpeg, 1280 jpeg."},
	} {
		got, err := c.want.Pick(c.thumbs)
		if c.notFound != "" {
			var se huma.StatusError
			if !errors.As(err, &se) || se.GetStatus() != 404 || err.Error() != c.notFound {
				t.Errorf("%s: %+v, %v; want 404 %q", c.name, got, err, c.notFound)
			}
			continue
		}
		if err != nil || got.Thumbnail.URL != c.url || got.Vary != c.vary {
			t.Errorf("%s: %s (Vary %q), %v; want %s (Vary %q)", c.name, got.Thumbnail.URL, got.Vary, err, c.url, c.vary)
		}
	}
}

// FuzzPickAccept: whatever a client sends as Accept, Pick answers one of the formats stored
// at the box, and says it varied by Accept.
func FuzzPickAccept(f *testing.F) {
	for _, s := range []string{chrome, chrome80, firefox, safari17, edgeOld, curl, noHeader, "image/*;q=0",
		"image/avif;q=abc", ";;,,/", "*/avif", "image/webp;q=1e308,image/avif;q=-1", "a/b/c;q=0.5=1"} {
		f.Add(s)
	}
	id := uuid.New()
	thumbs := rows(id, 320, "jpeg", "", 320, "webp", "w", 320, "avif", "a", 640, "jpeg", "j")
	f.Fuzz(func(t *testing.T, accept string) {
		got, err := httpx.Want{Default: 320, Accept: accept}.Pick(thumbs)
		if err != nil || got.Thumbnail.Size != 320 || got.Thumbnail.Format == "" || got.Vary != "Accept" {
			t.Fatalf("Accept %q: %+v, %v", accept, got, err)
		}
	})
}
