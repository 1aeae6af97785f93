package e2e

import (
	"fmt"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/imaging/heiftest"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/store"
)

// heifPhoto is a HEIC or AVIF file served to the daemon, and what must become of it.
type heifPhoto struct {
	name    string
	data    []byte
	size    image.Point    // the thumbnail's
	upright bool           // compare with the thumbnail of orientation/Landscape_0.jpg
	colours *[4]color.RGBA // else: the mean colour of the middle of each quarter
}

// heifPhotos are the HEIF test photos (testdata/photos/heif) with the irot and imir that show
// them upright added, as iPhones write them next to an EXIF orientation saying the same; one
// as heif-enc wrote it, stored turned, whose EXIF orientation must not be applied; and the
// quadrant samples of the imaging tests with alpha and at 10 bits.
func heifPhotos(t *testing.T) []heifPhoto {
	t.Helper()
	var photos []heifPhoto
	for _, name := range []string{"Landscape_2.heic", "Landscape_5.heic", "Landscape_6.heic", "Landscape_8.heic",
		"Landscape_3.avif", "Landscape_5.avif", "Landscape_6.avif"} {
		var o int
		fmt.Sscanf(name, "Landscape_%d.", &o)
		f, err := heiftest.Read(testphotos.Read(t, "heif/"+name))
		if err != nil {
			t.Fatal(err)
		}
		p := &f.Items[f.Primary]
		p.Props = append(p.Props, heiftest.Orientation(o)...)
		photos = append(photos, heifPhoto{name: name, data: f.Bytes(), size: image.Pt(320, 213), upright: true})
	}
	photos = append(photos, heifPhoto{name: "as-stored-Landscape_6.heic", data: testphotos.Read(t, "heif/Landscape_6.heic"), size: image.Pt(213, 320)})
	flattened := [4]color.RGBA{{255, 255, 255, 255}, {127, 255, 127, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}
	quad := [4]color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}
	for _, s := range []struct {
		file    string
		colours [4]color.RGBA
	}{{"alpha.heic", flattened}, {"alpha.avif", flattened}, {"quad10.heic", quad}, {"quad10.avif", quad}} {
		data, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", s.file))
		if err != nil {
			t.Fatal(err)
		}
		photos = append(photos, heifPhoto{name: s.file, data: data, size: image.Pt(64, 48), colours: &s.colours})
	}
	return photos
}

// TestEndToEndHEIF queues HEIC and AVIF photos through the API to a daemon on the real Postgres
// and RabbitMQ. Built with libheif, each is completed with a thumbnail of the right size,
// upright and of the right colours; built without (CGO_ENABLED=0, noheif), each fails at once,
// not retried, with a reason that says what the file is and what the build lacks.
func TestEndToEndHEIF(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	photos := heifPhotos(t)
	dir := t.TempDir()
	for _, p := range photos {
		if err := os.WriteFile(filepath.Join(dir, p.name), p.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(files.Close)

	ids := make([]uuid.UUID, len(photos))
	for i, p := range photos {
		ids[i] = h.addPhoto(t, files.URL+"/"+p.name).UUID
	}
	reference := h.addPhoto(t, h.photoURL("orientation/Landscape_0.jpg")).UUID
	h.mustProcess(t, append(ids, reference))
	settled := h.waitSettled(t, append(ids, reference), 5*time.Minute)
	rows := thumbnailRows(t, h)
	upright := readThumb(t, h, reference)

	for i, p := range photos {
		t.Run(p.name, func(t *testing.T) {
			got := settled[ids[i]]
			if imaging.HEIFCodec != "libheif" {
				if got.Status != store.StatusFailed || got.Attempts != 1 || rows[ids[i]] != 0 ||
					!strings.Contains(got.FailureReason, "unsupported format") || !strings.Contains(got.FailureReason, "built without libheif") {
					t.Fatalf("status %s after %d attempts, %d thumbnails, reason %q; want failed once, unsupported, built without libheif",
						got.Status, got.Attempts, rows[ids[i]], got.FailureReason)
				}
				return
			}
			if got.Status != store.StatusCompleted || rows[ids[i]] != 1 {
				t.Fatalf("status %s (%s), %d thumbnail rows; want completed, 1", got.Status, got.FailureReason, rows[ids[i]])
			}
			img := readThumb(t, h, ids[i])
			if size := img.Bounds().Size(); size != p.size {
				t.Fatalf("thumbnail %v, want %v", size, p.size)
			}
			if p.upright {
				d := meanAbsDiff(img, upright)
				t.Logf("differs from the upright JPEG's thumbnail by %.2f", d)
				if d > orientationTolerance {
					t.Errorf("differs from the upright JPEG's thumbnail by %.1f per channel (limit %d): not upright", d, orientationTolerance)
				}
			}
			if p.colours != nil {
				checkQuarters(t, img, *p.colours)
			}
		})
	}
}

// checkQuarters compares the mean colour of the middle of each quarter of img with want.
func checkQuarters(t *testing.T, img image.Image, want [4]color.RGBA) {
	t.Helper()
	b := img.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	for q, c := range want {
		x0, y0 := b.Min.X+(q%2)*w, b.Min.Y+(q/2)*h
		var sum [3]uint32
		n := uint32(0)
		for y := y0 + h/4; y < y0+h-h/4; y++ {
			for x := x0 + w/4; x < x0+w-w/4; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				sum[0], sum[1], sum[2] = sum[0]+r>>8, sum[1]+g>>8, sum[2]+bl>>8
				n++
			}
		}
		got := [3]int{int(sum[0] / n), int(sum[1] / n), int(sum[2] / n)}
		for i, v := range []uint8{c.R, c.G, c.B} {
			if d := got[i] - int(v); d > 16 || d < -16 {
				t.Errorf("quarter %d is %v, want %v", q, got, c)
				break
			}
		}
	}
}
