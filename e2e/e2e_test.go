package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/image/draw"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/store"
)

// expected describes what must become of one test photo.
type expected struct {
	name         string
	display      image.Point // source size as displayed (after EXIF orientation); zero = read from the file
	rotate       int         // clockwise quarter turns that make the stored pixels upright
	mirror       bool        // mirrored before rotating (orientations 2, 4, 5, 7)
	failReason   string      // non-empty: the photo must fail with a reason containing this
	uprightMatch string      // compare the thumbnail with this photo's thumbnail (same picture, upright)
}

// orientations maps EXIF orientation N to the transform that makes its pixels upright.
var orientations = map[int]struct {
	rotate int
	mirror bool
}{0: {0, false}, 1: {0, false}, 2: {0, true}, 3: {2, false}, 4: {2, true}, 5: {3, true}, 6: {1, false}, 7: {1, true}, 8: {3, false}}

func corpus(t *testing.T) []expected {
	want := []expected{
		{name: "camera-4032x3024.jpg", display: image.Pt(4032, 3024)},
		{name: "phone-4608x1976.jpg", display: image.Pt(4608, 1976)},
		{name: "phone-3264x2448.jpg", display: image.Pt(3264, 2448)},
		{name: "camera-2048x1536-orient6.jpg", display: image.Pt(1536, 2048), rotate: 1},
		{name: "camera-1704x2272-portrait.jpg", display: image.Pt(1704, 2272)},
		{name: "camera-1600x1200.jpg", display: image.Pt(1600, 1200)},
		{name: "small-canon40d.jpg", display: image.Pt(100, 68)},
		{name: "corrupted-truncated.jpg", failReason: "corrupt image"},
		{name: "no-such-photo.jpg", failReason: "404"},
	}
	for n := 0; n <= 8; n++ {
		o := orientations[n]
		want = append(want,
			expected{name: "orientation/Landscape_" + itoa(n) + ".jpg", display: image.Pt(1800, 1200), rotate: o.rotate, mirror: o.mirror, uprightMatch: "orientation/Landscape_0.jpg"},
			expected{name: "orientation/Portrait_" + itoa(n) + ".jpg", display: image.Pt(1200, 1800), rotate: o.rotate, mirror: o.mirror, uprightMatch: "orientation/Portrait_0.jpg"})
	}
	entries, err := os.ReadDir(filepath.Join(testphotos.Dir(t), "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		want = append(want, expected{name: "invalid/" + e.Name()}) // malformed EXIF: pixels still make a thumbnail
	}
	return want
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestEndToEnd runs the daemon on a fresh database and queue, queues every test photo through
// the API, and checks each outcome: statuses and reasons, one thumbnail row per photo, a JPEG
// file of the recorded size that fits the box with the displayed aspect ratio, never upscaled,
// upright, and close to a reference downscale of the source.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	want := corpus(t)
	ids := make([]uuid.UUID, len(want))
	byName := map[string]uuid.UUID{}
	for i, w := range want {
		ids[i] = h.addPhoto(t, h.photoURL(w.name)).UUID
		byName[w.name] = ids[i]
	}

	status, body := h.process(t, ids)
	var res api.ProcessResult
	if err := json.Unmarshal(body, &res); status != http.StatusAccepted || err != nil || res.PhotosQueuedCount != len(ids) {
		t.Fatalf("PUT /photos/process = %d %s", status, body)
	}
	photos := h.waitSettled(t, ids, 5*time.Minute)

	rows := thumbnailRows(t, h)
	for i, w := range want {
		id := ids[i]
		p := photos[id]
		t.Run(w.name, func(t *testing.T) {
			if w.failReason != "" {
				if p.Status != store.StatusFailed || !strings.Contains(p.FailureReason, w.failReason) {
					t.Fatalf("status %s, reason %q; want failed because %s", p.Status, p.FailureReason, w.failReason)
				}
				if rows[id] != 0 {
					t.Fatalf("%d thumbnail rows for a failed photo", rows[id])
				}
				return
			}
			if p.Status != store.StatusCompleted {
				t.Fatalf("status %s (%s), want completed", p.Status, p.FailureReason)
			}
			if rows[id] != 1 {
				t.Fatalf("%d thumbnail rows, want exactly 1", rows[id])
			}
			checkThumbnail(t, h, id, w)
		})
	}
	// Same picture, any orientation tag: the thumbnails must all look like the upright one.
	for i, w := range want {
		if w.uprightMatch == "" {
			continue
		}
		got := readThumb(t, h, ids[i])
		ref := readThumb(t, h, byName[w.uprightMatch])
		d := meanAbsDiff(got, ref)
		t.Logf("%s vs %s: %.2f", w.name, w.uprightMatch, d)
		if d > orientationTolerance {
			t.Errorf("%s: differs from %s by %.1f per channel (limit %d): not upright", w.name, w.uprightMatch, d, orientationTolerance)
		}
	}
}

// Tolerances, in 8-bit levels of mean absolute error per channel (the worst channel).
//
// referenceTolerance: the reference is golang.org/x/image/draw CatmullRom on the full source;
// the daemon uses its own filter chain and JPEG quality 90. Measured on this corpus: 1.9 to 6.2
// (the most detailed 8–12 MP photos highest), while a wrong orientation measured 62–102 and a
// wrong crop or a black (unflattened) area costs as much. 10 sits well between the two.
//
// orientationTolerance: thumbnails of one picture stored under different EXIF tags differ only
// by the JPEG generation loss of the stored files: measured 1.3 to 2.6; a wrong rotation or
// mirror costs 30 and more.
const (
	referenceTolerance   = 10
	orientationTolerance = 8
)

func thumbnailRows(t *testing.T, h *harness) map[uuid.UUID]int {
	t.Helper()
	rows, err := h.db.Query(context.Background(), `SELECT photo_uuid, count(*) FROM photo_thumbnails GROUP BY photo_uuid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[uuid.UUID]int{}
	for rows.Next() {
		var id uuid.UUID
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

func checkThumbnail(t *testing.T, h *harness, id uuid.UUID, w expected) {
	t.Helper()
	var tw, th, size int
	var url string
	err := h.db.QueryRow(context.Background(),
		`SELECT width, height, size, url FROM photo_thumbnails WHERE photo_uuid = $1`, id).Scan(&tw, &th, &size, &url)
	if err != nil {
		t.Fatal(err)
	}
	if want := h.thumbnailURL(id); url != want || size != h.cfg.Imaging.Size {
		t.Fatalf("row url %q size %d, want %s and %d", url, size, want, h.cfg.Imaging.Size)
	}
	data := h.readStored(t, url)
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil || format != "jpeg" {
		t.Fatalf("thumbnail is not a JPEG (%s): %v", format, err)
	}
	b := img.Bounds()
	if b.Dx() != tw || b.Dy() != th {
		t.Fatalf("file is %dx%d, row says %dx%d", b.Dx(), b.Dy(), tw, th)
	}
	box := h.cfg.Imaging.Size
	if tw > box || th > box || tw < 1 || th < 1 {
		t.Fatalf("%dx%d does not fit %dx%d", tw, th, box, box)
	}

	src := decodeSource(t, w.name)
	display := w.display
	if display == (image.Point{}) {
		display = src.Bounds().Size() // malformed EXIF: either way round is acceptable
		if (tw > th) != (display.X > display.Y) && tw != th {
			display = image.Pt(display.Y, display.X)
		}
	}
	if tw > display.X || th > display.Y {
		t.Fatalf("%dx%d is larger than the %dx%d source: upscaled", tw, th, display.X, display.Y)
	}
	if display.X <= box && display.Y <= box {
		if tw != display.X || th != display.Y {
			t.Fatalf("%dx%d, want the source's own %dx%d", tw, th, display.X, display.Y)
		}
	} else if max(tw, th) != box {
		t.Fatalf("%dx%d: the longer side should be %d", tw, th, box)
	}
	// Aspect ratio within one pixel of the exact fit.
	scale := min(float64(box)/float64(display.X), float64(box)/float64(display.Y), 1)
	if ew, eh := float64(display.X)*scale, float64(display.Y)*scale; abs(float64(tw)-ew) > 1 || abs(float64(th)-eh) > 1 {
		t.Fatalf("%dx%d does not keep the %dx%d aspect ratio (%.1fx%.1f expected)", tw, th, display.X, display.Y, ew, eh)
	}
	if w.display == (image.Point{}) {
		return // no known orientation to build a reference from
	}
	ref := reference(upright(src, w.rotate, w.mirror), tw, th)
	d := meanAbsDiff(img, ref)
	t.Logf("mean absolute difference from the reference: %.2f", d)
	if d > referenceTolerance {
		t.Errorf("differs from a reference downscale by %.1f per channel (limit %d)", d, referenceTolerance)
	}
}

func decodeSource(t *testing.T, name string) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(testphotos.Read(t, name)))
	if err != nil {
		t.Fatalf("decode source %s: %v", name, err)
	}
	return img
}

func readThumb(t *testing.T, h *harness, id uuid.UUID) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(h.readStored(t, h.thumbnailURL(id))))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// upright applies an EXIF orientation's transform: mirror horizontally, then turn clockwise.
func upright(src image.Image, quarterTurns int, mirror bool) image.Image {
	img := image.Image(src)
	if mirror {
		b := img.Bounds()
		m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				m.Set(b.Dx()-1-x, y, img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
		img = m
	}
	for range quarterTurns {
		b := img.Bounds()
		r := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				r.Set(b.Dy()-1-y, x, img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
		img = r
	}
	return img
}

func reference(src image.Image, w, h int) image.Image {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// meanAbsDiff is the mean absolute difference per channel in 8-bit levels, for the worst of
// R, G and B. Images of different sizes differ by 255.
func meanAbsDiff(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return 255
	}
	var sum [3]float64
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			sum[0] += absDiff(r1, r2)
			sum[1] += absDiff(g1, g2)
			sum[2] += absDiff(b1, b2)
		}
	}
	n := float64(ab.Dx() * ab.Dy())
	return max(sum[0], sum[1], sum[2]) / n / 257
}

func abs(f float64) float64 { return max(f, -f) }

func absDiff(a, b uint32) float64 {
	if a > b {
		return float64(a - b)
	}
	return float64(b - a)
}
