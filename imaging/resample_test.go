package imaging

import (
	"bytes"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// floatResize is the resize the resampler approximates, computed independently: every output
// pixel is the sum, over the source pixels in reach, of the source times the product of the two
// Lanczos-3 weights (widened by the scale, normalised over the pixels inside the picture), in
// float64, rounded and clamped once at the end.
func floatResize(src *image.RGBA, w, h int) *image.RGBA {
	weights := func(srcLen, dstLen, i int) map[int]float64 {
		scale := float64(srcLen) / float64(dstLen)
		fs := max(scale, 1)
		centre := (float64(i) + 0.5) * scale
		ws, sum := map[int]float64{}, 0.0
		for x := 0; x < srcLen; x++ {
			d := (float64(x) + 0.5 - centre) / fs
			if math.Abs(d) < 3 {
				v := 1.0
				if d != 0 {
					v = 3 * math.Sin(math.Pi*d) * math.Sin(math.Pi*d/3) / (math.Pi * math.Pi * d * d)
				}
				ws[x] = v
				sum += v
			}
		}
		for x := range ws {
			ws[x] /= sum
		}
		return ws
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		wy := weights(sh, h, y)
		for x := range w {
			wx := weights(sw, w, x)
			var sum [4]float64
			for sy, ky := range wy {
				for sx, kx := range wx {
					i := src.PixOffset(sx, sy)
					for c := range 4 {
						sum[c] += float64(src.Pix[i+c]) * kx * ky
					}
				}
			}
			i := dst.PixOffset(x, y)
			for c := range 4 {
				dst.Pix[i+c] = uint8(min(max(math.Round(sum[c]), 0), 255))
			}
		}
	}
	return dst
}

// noise returns a w×h picture of random premultiplied pixels, opaque or not. With mid, every
// value stays in the middle half of what it may be, so that no overshoot of the filter's
// negative lobes reaches 0 or 255 and is clamped.
func noise(rng *rand.Rand, w, h int, opaque, mid bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	value := func(top int) uint8 {
		if mid {
			return uint8(top/4 + rng.IntN(top/2+1))
		}
		return uint8(rng.IntN(top + 1))
	}
	for i := 0; i < len(img.Pix); i += 4 {
		a := uint8(255)
		if !opaque {
			a = 128 + uint8(rng.IntN(128))
			if !mid {
				a = uint8(rng.IntN(256))
			}
		}
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = value(int(a)), value(int(a)), value(int(a)), a
	}
	return img
}

// TestResampleMatchesFloatReference: the fixed-point, two-pass resampler against floatResize on
// noise, the hardest case for rounding (every pixel differs from its neighbours), at reductions
// from none to 7× and with one axis unchanged. The passes round to 8 bits in between, so a
// level of difference is expected here and there; a wrong weight, offset or edge shows as
// many levels. The noise stays mid-range: on full-range noise the first pass overshoots past
// 0 and 255 and is clamped before the second (as in Pillow), which floatResize does not model.
func TestResampleMatchesFloatReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ sw, sh, w, h int }{
		{64, 48, 32, 24}, {101, 67, 40, 27}, {50, 50, 50, 20}, {33, 90, 33, 12}, {210, 140, 30, 20}, {17, 5, 16, 5},
	} {
		for _, opaque := range []bool{true, false} {
			src := noise(rng, tc.sw, tc.sh, opaque, true)
			want := floatResize(src, tc.w, tc.h)
			wk := &worker{}
			got := wk.resizeLanczos(src, tc.w, tc.h, opaque)
			var sum, worst int
			for i := range got.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				d = max(d, -d)
				sum += d
				worst = max(worst, d)
			}
			mean := float64(sum) / float64(len(got.Pix))
			if worst > 2 || mean > 0.5 {
				t.Errorf("%dx%d → %dx%d (opaque %v): differs from the float reference by up to %d, %.2f on average; want ≤ 2 and ≤ 0.5",
					tc.sw, tc.sh, tc.w, tc.h, opaque, worst, mean)
			}
		}
	}
}

// TestResizeKeepsUniformColours: weights sum to exactly one, so a uniform picture, with or
// without alpha, comes out exactly that colour, through the box reduction and both passes.
func TestResizeKeepsUniformColours(t *testing.T) {
	t.Parallel()
	for _, c := range [][4]uint8{{200, 100, 50, 255}, {0, 0, 0, 0}, {60, 30, 10, 128}, {255, 255, 255, 255}} {
		for _, size := range [][4]int{{640, 480, 320, 240}, {4000, 10, 320, 1}, {7, 3000, 1, 320}, {503, 377, 320, 240}} {
			src := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
			for i := 0; i < len(src.Pix); i += 4 {
				copy(src.Pix[i:i+4], c[:])
			}
			got := (&worker{}).resize(src, size[2], size[3], c[3] == 255)
			if got.Rect.Dx() != size[2] || got.Rect.Dy() != size[3] {
				t.Fatalf("%v: size %v", size, got.Rect.Size())
			}
			for i := 0; i < len(got.Pix); i += 4 {
				if [4]uint8(got.Pix[i:i+4]) != c {
					t.Fatalf("%v of %v: pixel %d is %v", size, c, i/4, got.Pix[i:i+4])
				}
			}
		}
	}
}

// TestReduceBoxIsTheMean checks the box reduction against the mean of each block, including the
// partial blocks at the right and bottom edges.
func TestReduceBoxIsTheMean(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	src := noise(rng, 23, 17, false, false)
	for _, k := range []int{2, 3, 5} {
		got, _ := reduceBox(nil, src, k, nil)
		for oy := range got.Rect.Dy() {
			for ox := range got.Rect.Dx() {
				var sum [4]int
				n := 0
				for y := oy * k; y < min(oy*k+k, 17); y++ {
					for x := ox * k; x < min(ox*k+k, 23); x++ {
						i := src.PixOffset(x, y)
						for c := range 4 {
							sum[c] += int(src.Pix[i+c])
						}
						n++
					}
				}
				i := got.PixOffset(ox, oy)
				for c := range 4 {
					if want := (sum[c] + n/2) / n; int(got.Pix[i+c]) != want {
						t.Fatalf("k %d: pixel (%d,%d) channel %d is %d, want %d", k, ox, oy, c, got.Pix[i+c], want)
					}
				}
			}
		}
	}
}

// TestMakerKeepsWorkers: a Maker lends one worker per call and takes it back; Close frees the
// idle ones, and a Make after Close still works without keeping its worker.
func TestMakerKeepsWorkers(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	src := readTestdata(t, "lossy-alpha.webp")
	for range 3 {
		makeThumb(t, m, src)
	}
	if n := len(m.idle.idle); n != 1 {
		t.Fatalf("%d idle workers after three calls one after the other, want 1", n)
	}
	m.Close()
	if n := len(m.idle.idle); n != 0 {
		t.Fatalf("%d idle workers after Close", n)
	}
	makeThumb(t, m, src)
	if n := len(m.idle.idle); n != 0 {
		t.Fatalf("%d idle workers after a Make after Close", n)
	}
}

// TestPackedResampleMatchesTwoPass: the packed, streamed resampler of opaque pictures against
// the two passes of one channel at a time (resampleRows, then resampleColumns, the resampler
// before it, with the same weights), which it must equal exactly: on full-range noise, where
// the negative lobes overshoot and are clamped between the passes, and on stripes of 0 and
// 255, which drive a channel's sum to the ends of its lane, at reductions from none to 9×,
// enlargements, and odd sizes.
func TestPackedResampleMatchesTwoPass(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	stripes := func(w, h, period int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				v := uint8(0)
				if (x/period+y/period)%2 == 0 {
					v = 255
				}
				i := img.PixOffset(x, y)
				img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, 255-v, v, 255
			}
		}
		return img
	}
	for _, tc := range []struct{ sw, sh, w, h int }{
		{64, 48, 32, 24}, {101, 67, 40, 27}, {504, 378, 320, 240}, {33, 90, 32, 12}, {210, 140, 30, 20},
		{17, 5, 16, 4}, {40, 30, 80, 60}, {9, 9, 1, 1}, {900, 20, 100, 19}, {3, 7, 2, 6},
	} {
		for _, src := range []*image.RGBA{noise(rng, tc.sw, tc.sh, true, false), stripes(tc.sw, tc.sh, 1), stripes(tc.sw, tc.sh, 2), stripes(tc.sw, tc.sh, 3)} {
			var th, tv taps
			th.make(tc.sw, tc.w)
			tv.make(tc.sh, tc.h)
			mid := image.NewRGBA(image.Rect(0, 0, tc.w, tc.sh))
			resampleRows(mid, src, &th, true)
			want := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
			resampleColumns(want, mid, &tv, true)
			got, _, _, _ := resampleOpaque(nil, src, &th, &tv, nil, nil, nil)
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%dx%d → %dx%d: the packed resampler differs from the two passes by %.3f", tc.sw, tc.sh, tc.w, tc.h, meanAbsError(t, got, want))
			}
		}
	}
}

// TestLanczosLobesFitTheLanes: for every scale the resizer uses, the sums of the positive and
// negative weights of every output pixel keep a channel's offset sum inside its 21 bits, which
// the packed resampler's exactness rests on.
func TestLanczosLobesFitTheLanes(t *testing.T) {
	t.Parallel()
	for src := 1; src <= 700; src += 7 {
		for _, dst := range []int{1, 2, 3, 5, 17, 64, 100, 240, 320, 333, 640} {
			var tp taps
			tp.make(src, dst)
			for i := range dst {
				var pos, neg int64
				for _, w := range tp.w[i*tp.n : (i+1)*tp.n] {
					if w > 0 {
						pos += int64(w)
					} else {
						neg -= int64(w)
					}
				}
				if lo, hi := packedBias-255*neg, packedBias+255*pos+weightHalf; lo < 0 || hi >= 1<<laneBits {
					t.Fatalf("%d → %d, pixel %d: a channel's sum spans %d..%d, outside its lane", src, dst, i, lo, hi)
				}
			}
		}
	}
}
