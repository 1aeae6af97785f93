package imaging

import (
	"image"
	"sync"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

func TestDecodeCost(t *testing.T) {
	t.Parallel()
	photo := testphotos.Read(t, "camera-4032x3024.jpg")
	cmyk := readTestdata(t, "cmyk.jpg")
	cmykHdr, err := readHeader(formatJPEG, cmyk)
	if err != nil {
		t.Fatal(err)
	}
	cmykSize := image.Pt(cmykHdr.Width, cmykHdr.Height)
	cmykDecoded := jpegDecodedSize(cmykSize, image.Pt(1, 1), 4) // libjpeg-turbo decodes it at 1/8 too
	cmykCost := int64(cmykDecoded.X*cmykDecoded.Y) * bytesPerPixel
	want := int64(4032 * 3024 * bytesPerPixel) // image/jpeg: YCbCr, then an RGBA copy
	if jpegDirectRGBA {
		want = 504 * 378 * 4 // libjpeg-turbo at 1/8, straight into RGBA
	}
	for _, tc := range []struct {
		name         string
		f            format
		src          []byte
		stored, need image.Point
		want         int64
	}{
		{"12 MP JPEG", formatJPEG, photo, image.Pt(4032, 3024), image.Pt(320, 240), want},
		{"CMYK JPEG", formatJPEG, cmyk, cmykSize, image.Pt(1, 1), cmykCost},
		{"PNG", formatPNG, nil, image.Pt(1000, 500), image.Pt(320, 160), 1000 * 500 * bytesPerPixel},
	} {
		if got := decodeCost(tc.f, tc.src, tc.stored, tc.need); got != tc.want {
			t.Errorf("%s: cost %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestMemoryBudgetIsReturned makes thumbnails from many goroutines, good sources and bad, with
// a budget that fits one source at a time, and checks that all finish and the whole budget is
// free again afterwards.
func TestMemoryBudgetIsReturned(t *testing.T) {
	t.Parallel()
	good := encodePNG(t, image.NewGray(image.Rect(0, 0, 400, 300)))
	bad := good[:len(good)/2]
	m := newMaker(t, func(c *Config) { c.MaxPixels = 400 * 300 })
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			src := good
			if i%2 == 1 {
				src = bad
			}
			_, err := m.Make(src)
			if (err == nil) != (i%2 == 0) {
				t.Errorf("make %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if !m.mem.TryAcquire(m.budget) {
		t.Fatal("memory budget not fully released")
	}
}
