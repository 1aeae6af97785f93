package imaging

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// checkFit checks the promises about a thumbnail size for a w×h source and box: inside the
// box, never larger than the source, at least 1 px, the long side filling the box when the
// source does not fit, and the aspect ratio kept to within one pixel of the short side.
func checkFit(tb testing.TB, w, h, box, tw, th int) {
	tb.Helper()
	switch {
	case tw < 1 || th < 1:
		tb.Fatalf("%dx%d in %d: %dx%d is empty", w, h, box, tw, th)
	case tw > box || th > box:
		tb.Fatalf("%dx%d in %d: %dx%d is outside the box", w, h, box, tw, th)
	case tw > w || th > h:
		tb.Fatalf("%dx%d in %d: %dx%d is larger than the source", w, h, box, tw, th)
	case (w > box || h > box) && max(tw, th) != box:
		tb.Fatalf("%dx%d in %d: %dx%d does not fill the box", w, h, box, tw, th)
	case w <= box && h <= box && (tw != w || th != h):
		tb.Fatalf("%dx%d in %d: %dx%d, want the source size", w, h, box, tw, th)
	}
	// |th − tw·h/w| ≤ 1 for a landscape source, |tw − th·w/h| ≤ 1 for a portrait one.
	if d := tw*h - th*w; max(d, -d) > max(w, h) {
		tb.Fatalf("%dx%d in %d: %dx%d does not keep the aspect ratio", w, h, box, tw, th)
	}
}

func TestFitProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		w, h, box := 1+rng.IntN(4000), 1+rng.IntN(4000), 1+rng.IntN(1000)
		tw, th := fit(w, h, box)
		checkFit(t, w, h, box, tw, th)
	}
	for _, c := range [][3]int{{4000, 1, 320}, {1, 4000, 320}, {320, 320, 320}, {321, 320, 320}, {641, 1, 320}, {1, 1, 1}} {
		tw, th := fit(c[0], c[1], c[2])
		checkFit(t, c[0], c[1], c[2], tw, th)
	}
}

// TestResizeProperties runs the whole pixel pipeline on uniform pictures of random sizes and
// orientations: the result has the promised size, and a uniform colour stays that colour
// (a filter whose weights do not sum to one, or that reads outside the picture, shows here).
func TestResizeProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 12 {
		w, h, o := 1+rng.IntN(4000), 1+rng.IntN(4000), 1+rng.IntN(8)
		src := image.NewRGBA(image.Rect(0, 0, w, h))
		for p := 0; p < len(src.Pix); p += 4 {
			src.Pix[p], src.Pix[p+1], src.Pix[p+2], src.Pix[p+3] = 200, 100, 50, 255
		}
		uw, uh := w, h
		if swapsAxes(o) {
			uw, uh = h, w
		}
		tw, th := fit(uw, uh, 320)
		need := image.Pt(tw, th)
		if swapsAxes(o) {
			need = image.Pt(th, tw)
		}
		got, _ := orient(nil, (&worker{}).resize(src, need.X, need.Y, true), o)
		if got.Rect.Dx() != tw || got.Rect.Dy() != th {
			t.Fatalf("case %d: %dx%d orientation %d gave %v, want %dx%d", i, w, h, o, got.Rect.Size(), tw, th)
		}
		checkFit(t, uw, uh, 320, tw, th)
		for p := 0; p < len(got.Pix); p += 4 {
			if c := got.Pix[p : p+4]; absDiff(c[0], 200) > 1 || absDiff(c[1], 100) > 1 || absDiff(c[2], 50) > 1 || c[3] != 255 {
				t.Fatalf("case %d: %dx%d: pixel %d is %v, want [200 100 50 255]", i, w, h, p/4, c)
			}
		}
	}
}

// TestMakeRandomSizes runs Make itself on uniform PNGs of random sizes.
func TestMakeRandomSizes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	m := newMaker(t, nil)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	for range 5 {
		w, h := 1+rng.IntN(4000), 1+rng.IntN(4000)
		var buf bytes.Buffer
		if err := enc.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		th, _ := makeThumb(t, m, buf.Bytes())
		checkFit(t, w, h, 320, th.Width, th.Height)
		if th.SourceWidth != w || th.SourceHeight != h {
			t.Errorf("source %dx%d reported as %dx%d", w, h, th.SourceWidth, th.SourceHeight)
		}
	}
}

func absDiff(a, b uint8) uint8 { return max(a, b) - min(a, b) }
