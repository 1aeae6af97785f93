package imaging

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// TestMakeConcurrent uses one Maker from many goroutines at once (run with -race): each result
// must equal the one made alone.
func TestMakeConcurrent(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	sources := [][]byte{
		testphotos.Read(t, "orientation/Landscape_6.jpg"),
		testphotos.Read(t, "small-canon40d.jpg"),
		encodePNG(t, withTransparency(500, 400)),
		readTestdata(t, "lossy-alpha.webp"),
		colourSample(t, "p3-icc.webp"), // the Go converter, shared
	}
	if cmyk, err := os.ReadFile(cmykProfilePath); err == nil {
		// Little CMS's transform, shared (TestColourCMYKProfileIsUsed requires the profile in CI).
		sources = append(sources, withJPEGProfile(colourSample(t, "cmyk.jpg"), cmyk, 60000))
	}
	want := make([][]byte, len(sources))
	for i, src := range sources {
		th, _ := makeThumb(t, m, src)
		want[i] = th.Data
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for r := range 2 {
				i := (g + r) % len(sources)
				th, err := m.Make(sources[i])
				if err != nil {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
				if !bytes.Equal(th.Primary().Data, want[i]) {
					t.Errorf("goroutine %d: source %d gave a different thumbnail", g, i)
				}
			}
		})
	}
	wg.Wait()
}
