package imaging

import (
	"image"
	"sync"
	"testing"
)

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
