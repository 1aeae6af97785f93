//go:build !race

package imaging

import (
	"bytes"
	"image/jpeg"
	"testing"

	"github.com/anthonynsimon/bild/transform"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// TestMakeCloseToLanczos holds thumbnails of photos of every size and shape to the quality bar
// of issue 10: no further from a Lanczos downscale of the whole photo (decoded by image/jpeg,
// resized by bild; what make bench-compare measures) than Pillow's thumbnail() is, plus 0.25,
// in mean absolute error per channel (levels of 255). Pillow's figures were measured by make
// bench-compare on these photos (Pillow 9.4, thumbnail((320, 320)), quality 90). The error
// includes the JPEG encoding of the thumbnail; the photos have no EXIF orientation, which
// Pillow's thumbnail() would not apply.
//
// It is built without the race detector only: the Lanczos references of whole 12 and 24 MP
// photos take minutes under it. make test runs it on its own without -race, besides the pure-Go
// run.
func TestMakeCloseToLanczos(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for _, tc := range []struct {
		name   string
		src    func(testing.TB) []byte
		pillow float64
	}{
		{"2MP camera-1600x1200.jpg", photoBytes("camera-1600x1200.jpg"), 3.88},
		{"8MP phone-3264x2448.jpg", photoBytes("phone-3264x2448.jpg"), 5.28},
		{"wide phone-4608x1976.jpg", photoBytes("phone-4608x1976.jpg"), 2.31},
		{"12MP camera-4032x3024.jpg", photoBytes("camera-4032x3024.jpg"), 4.15},
		{"portrait camera-1704x2272-portrait.jpg", photoBytes("camera-1704x2272-portrait.jpg"), 2.25},
		{"24MP camera-4032x3024.jpg enlarged to 6000x4000", testphotos.Enlarged24MP, 4.27},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := tc.src(t)
			th, got := makeThumb(t, m, src)
			whole, err := jpeg.Decode(bytes.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			ref := transform.Resize(whole, th.Width, th.Height, transform.Lanczos)
			e := meanAbsError(t, got, ref)
			mean := (e[0] + e[1] + e[2]) / 3
			t.Logf("%s: mean error per channel %.2f (Pillow %.2f)", JPEGCodec, mean, tc.pillow)
			if limit := tc.pillow + qualityMargin; mean > limit {
				t.Errorf("thumbnail differs from the whole-photo Lanczos downscale by %.2f per channel, want ≤ %.2f (Pillow's %.2f + %.2f)",
					mean, limit, tc.pillow, qualityMargin)
			}
		})
	}
}

func photoBytes(name string) func(testing.TB) []byte {
	return func(tb testing.TB) []byte { return testphotos.Read(tb, name) }
}
