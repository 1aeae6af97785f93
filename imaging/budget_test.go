package imaging

import (
	"image"
	"sync"
	"testing"
)

// TestHEIFDecodeCost: HEIC and AVIF are charged by their ispe, whatever the size shown or
// needed, with more for 10-bit pictures and alpha (cost.go charges the other formats).
func TestHEIFDecodeCost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		f            format
		src          []byte
		stored, need image.Point
		want         int64
	}{
		{"HEIC", formatHEIC, readTestdata(t, "quad.heic"), image.Pt(1, 1), image.Pt(1, 1), 64 * 48 * heifBytesPerPixel},
		{"10-bit AVIF", formatAVIF, readTestdata(t, "quad10.avif"), image.Pt(64, 48), image.Pt(32, 24), 64 * 48 * (heifBytesPerPixel + heifDeepExtra)},
		{"HEIC with alpha", formatHEIC, readTestdata(t, "alpha.heic"), image.Pt(64, 48), image.Pt(32, 24), 64 * 48 * (heifBytesPerPixel + heifAlphaExtra)},
	} {
		if got := decodeCost(tc.f, tc.src, nil, tc.stored, tc.need); got != tc.want {
			t.Errorf("%s: cost %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestMemoryBudgetIsReturned makes thumbnails from many goroutines, good sources and bad, with
// a budget that fits one source at a time (1.9 MB of 2.2), and checks that all finish and the
// whole budget is free again afterwards.
func TestMemoryBudgetIsReturned(t *testing.T) {
	t.Parallel()
	good := encodePNG(t, image.NewGray(image.Rect(0, 0, 400, 300)))
	bad := good[:len(good)/2]
	m := newMaker(t, func(c *Config) { c.MaxPixels = 400 * 300 * 3 / 2 })
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
