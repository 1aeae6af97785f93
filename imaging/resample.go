package imaging

import (
	"encoding/binary"
	"image"
	"math"
)

// The resampler: Lanczos-3, separable (a horizontal pass, then a vertical one), on 8-bit
// premultiplied RGBA, with the weights of every output column and row computed once per source
// size in 12-bit fixed point, as libvips does; opaque pictures three channels to a multiply,
// their rows streamed through both passes (resampleOpaque). bild evaluates its filter again for
// every tap of every pixel, in float64, and spreads each pass over goroutines; this runs in the
// calling goroutine only. On the 504x378 → 320x240 resize after a 1/8 JPEG decode it takes 38M
// instructions, a sixth of bild's Catmull-Rom; why Lanczos-3 and not Catmull-Rom, and what the
// other choices measured, is in ARCHITECTURE.md ("Resizing") and docs/performance.md.

// weightBits is the fixed-point precision of the weights: 12 bits, as libvips' reduce uses.
// They resolve a weight to 1/4096; over a dozen taps the rounding moves a channel by a fraction
// of a level (TestPackedResampleMatchesTwoPass). They keep the int32 sums of the passes with
// alpha far from overflow, and let the packed passes hold three channels' sums in one uint64
// (resampleOpaque).
const (
	weightBits = 12
	weightOne  = 1 << weightBits
	weightHalf = 1 << (weightBits - 1)
)

// lanczosSupport is how far Lanczos-3 reaches, in source pixels at scale 1.
const lanczosSupport = 3

// lanczos3 is the Lanczos window of radius 3: sinc(x)·sinc(x/3) for |x| < 3.
func lanczos3(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1e-9:
		return 1
	case x >= lanczosSupport:
		return 0
	}
	px := math.Pi * x
	return lanczosSupport * math.Sin(px) * math.Sin(px/lanczosSupport) / (px * px)
}

// taps holds the weights of a resize along one axis from src to dst samples: output i reads the
// n source samples from first[i] on, weighted by w[i*n : i*n+n] (fixed point, weightBits, summing to
// exactly 1, so that a uniform colour stays exactly that colour).
type taps struct {
	src, dst int
	first    []int
	n        int
	w        []int32
	wp       []uint64 // w as two's-complement uint64s, for the packed passes
}

// make computes the weights for scaling src samples to dst, unless t holds them already. Like
// Pillow, the filter is widened by the reduction factor, so that every source sample counts,
// and cut at the edges of the picture with the weights renormalised.
func (t *taps) make(src, dst int) {
	if t.src == src && t.dst == dst {
		return
	}
	scale := float64(src) / float64(dst)
	filterScale := max(scale, 1)
	support := lanczosSupport * filterScale
	// window returns the source samples [lo, hi) output i reads.
	window := func(i int) (centre float64, lo, hi int) {
		centre = (float64(i) + 0.5) * scale
		return centre, max(int(centre-support+0.5), 0), min(int(centre+support+0.5), src)
	}
	t.n = 1
	for i := range dst {
		_, lo, hi := window(i)
		t.n = max(t.n, hi-lo)
	}
	t.first = grow(t.first, dst)
	t.w = grow(t.w, dst*t.n)
	t.wp = grow(t.wp, dst*t.n)
	fw := make([]float64, t.n)
	for i := range dst {
		centre, lo, hi := window(i)
		sum := 0.0
		for x := lo; x < hi; x++ {
			fw[x-lo] = lanczos3((float64(x) - centre + 0.5) / filterScale)
			sum += fw[x-lo]
		}
		// Keep n taps from a first that leaves them all inside the picture.
		first := min(lo, src-t.n)
		t.first[i] = first
		w := t.w[i*t.n : (i+1)*t.n]
		clear(w)
		total, largest := int32(0), lo-first
		for x := lo; x < hi; x++ {
			k := x - first
			w[k] = int32(math.Round(fw[x-lo] / sum * weightOne))
			total += w[k]
			if w[k] > w[largest] {
				largest = k
			}
		}
		// Rounding may leave the sum a little off 1: the largest weight takes the difference.
		w[largest] += weightOne - total
		for k, v := range w {
			t.wp[i*t.n+k] = uint64(int64(v))
		}
	}
	t.src, t.dst = src, dst
}

// grow returns s with length n, reusing its array when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// clampFixed turns a fixed-point sum into a channel value, rounding and clamping the
// overshoot of the negative lobes.
func clampFixed(v int32) uint8 {
	v = (v + weightHalf) >> weightBits
	if uint32(v) > 0xff {
		if v < 0 {
			return 0
		}
		return 0xff
	}
	return uint8(v)
}

// resampleRows scales each row of src to len(t.first) pixels into dst, which must have src's
// number of rows. opaque says every alpha is 0xff, so it is kept instead of computed.
func resampleRows(dst, src *image.RGBA, t *taps, opaque bool) {
	dw := len(t.first)
	for y := range src.Rect.Dy() {
		srow := src.Pix[y*src.Stride : y*src.Stride+4*src.Rect.Dx()]
		drow := dst.Pix[y*dst.Stride : y*dst.Stride+4*dw]
		for x, first := range t.first {
			s, w := srow[4*first:], t.w[x*t.n:(x+1)*t.n]
			var r, g, b, a int32
			if opaque {
				r, g, b = dot3(s, w)
				a = 0xff << weightBits
			} else {
				r, g, b, a = dot4(s, w)
			}
			d := drow[4*x : 4*x+4]
			d[0], d[1], d[2], d[3] = clampFixed(r), clampFixed(g), clampFixed(b), clampFixed(a)
		}
	}
}

// dot3 returns the weighted sums of the red, green and blue of the pixels s starts with. It and
// dot4 are kept out of line: inlined into resampleRows, the sums no longer fit in registers and
// every tap spills them (a quarter more instructions, measured with callgrind).
//
//go:noinline
func dot3(s []uint8, ws []int32) (r, g, b int32) {
	for k, w := range ws {
		p := s[4*k : 4*k+3]
		r += int32(p[0]) * w
		g += int32(p[1]) * w
		b += int32(p[2]) * w
	}
	return r, g, b
}

// dot4 is dot3 with alpha.
//
//go:noinline
func dot4(s []uint8, ws []int32) (r, g, b, a int32) {
	for k, w := range ws {
		p := s[4*k : 4*k+4]
		r += int32(p[0]) * w
		g += int32(p[1]) * w
		b += int32(p[2]) * w
		a += int32(p[3]) * w
	}
	return r, g, b, a
}

// resampleColumns scales the columns of src to len(t.first) rows into dst, which must have
// src's width. opaque says every alpha is 0xff, so it is kept instead of computed.
func resampleColumns(dst, src *image.RGBA, t *taps, opaque bool) {
	w := src.Rect.Dx()
	for y, first := range t.first {
		ws := t.w[y*t.n : (y+1)*t.n]
		// The taps of column x are src's pixels x of rows first, first+1, …: s[4x + k·Stride].
		s := src.Pix[first*src.Stride : (first+t.n-1)*src.Stride+4*w]
		drow := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := range w {
			var r, g, b, a int32
			if opaque {
				r, g, b = dot3Stride(s[4*x:], src.Stride, ws)
				a = 0xff << weightBits
			} else {
				r, g, b, a = dot4Stride(s[4*x:], src.Stride, ws)
			}
			d := drow[4*x : 4*x+4]
			d[0], d[1], d[2], d[3] = clampFixed(r), clampFixed(g), clampFixed(b), clampFixed(a)
		}
	}
}

// dot3Stride is dot3 for pixels stride bytes apart: down a column.
//
//go:noinline
func dot3Stride(s []uint8, stride int, ws []int32) (r, g, b int32) {
	for k, w := range ws {
		p := s[k*stride : k*stride+3]
		r += int32(p[0]) * w
		g += int32(p[1]) * w
		b += int32(p[2]) * w
	}
	return r, g, b
}

// dot4Stride is dot3Stride with alpha.
//
//go:noinline
func dot4Stride(s []uint8, stride int, ws []int32) (r, g, b, a int32) {
	for k, w := range ws {
		p := s[k*stride : k*stride+4]
		r += int32(p[0]) * w
		g += int32(p[1]) * w
		b += int32(p[2]) * w
		a += int32(p[3]) * w
	}
	return r, g, b, a
}

// reduceBox returns src shrunk by the integer factor k in both axes into dst's pixels: each
// output pixel is the mean of a k×k block (of the pixels left, at the right and bottom
// edges), as Pillow's Image.reduce does. It is exact for a uniform colour and cheap: one add
// per channel and source pixel.
func reduceBox(dst []uint8, src *image.RGBA, k int, acc []uint32) (*image.RGBA, []uint32) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := (sw+k-1)/k, (sh+k-1)/k
	out := &image.RGBA{Pix: grow(dst, 4*dw*dh), Stride: 4 * dw, Rect: image.Rect(0, 0, dw, dh)}
	acc = grow(acc, 4*dw)
	for oy := range dh {
		clear(acc)
		y0, y1 := oy*k, min(oy*k+k, sh)
		for y := y0; y < y1; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+4*sw]
			for ox := range dw {
				a := acc[4*ox : 4*ox+4]
				s := row[4*ox*k : 4*min(ox*k+k, sw)]
				for len(s) >= 4 {
					a[0] += uint32(s[0])
					a[1] += uint32(s[1])
					a[2] += uint32(s[2])
					a[3] += uint32(s[3])
					s = s[4:]
				}
			}
		}
		drow := out.Pix[oy*out.Stride : oy*out.Stride+4*dw]
		rows := uint32(y1 - y0)
		for ox := range dw {
			n := rows * uint32(min(ox*k+k, sw)-ox*k)
			a, d := acc[4*ox:4*ox+4], drow[4*ox:4*ox+4]
			d[0] = uint8((a[0] + n/2) / n)
			d[1] = uint8((a[1] + n/2) / n)
			d[2] = uint8((a[2] + n/2) / n)
			d[3] = uint8((a[3] + n/2) / n)
		}
	}
	return out, acc
}

// The packed resampler, for opaque pictures (every JPEG and HEIC without alpha): three channels
// in one uint64, 21 bits each (red in bits 0–20, green 21–41, blue 42–63), so that one multiply
// by a weight and one add do the work of three. A negative weight wraps the product around
// 2⁶⁴, but the sum of products is exact modulo 2⁶⁴, and each channel's sum, offset by
// packedBias, stays inside its 21 bits: with 12-bit weights a channel sums to between
// −255·4096·0.28 and 255·4096·1.28 (Lanczos-3's negative and positive lobes), so the offset sums
// lie in [0.24M, 1.86M], under 2²¹. Rows go through the vertical pass as soon as the horizontal
// pass has made the rows they need, kept in a ring of as many rows as the vertical filter has
// taps, instead of a whole intermediate picture.
const (
	laneBits    = 21
	laneMask    = 1<<laneBits - 1
	packedBias  = 1 << 19
	packedBias3 = packedBias | packedBias<<laneBits | packedBias<<(2*laneBits)
)

// lane returns the channel value of lane i of a sum started at packedBias3: rounded, clamped
// (min and max compile to conditional moves: no branch to mispredict on the lobes' overshoot).
func lane(sum uint64, i int) uint8 {
	v := (int32(sum>>(i*laneBits)&laneMask) - packedBias + weightHalf) >> weightBits
	return uint8(min(max(v, 0), 0xff))
}

// repack returns the packed sum a, started at packedBias3, as a packed pixel: each lane
// rounded and clamped to 8 bits.
func repack(a uint64) uint64 {
	return uint64(lane(a, 0)) | uint64(lane(a, 1))<<laneBits | uint64(lane(a, 2))<<(2*laneBits)
}

// resampleOpaque scales the opaque src to w×h with taps h (horizontal, src's width to w) and v
// (vertical, src's height to h) into dst's pixels, with ring, row and acc as working memory
// (returned, grown as needed).
func resampleOpaque(dst []uint8, src *image.RGBA, th, tv *taps, ring, row, acc []uint64) (*image.RGBA, []uint64, []uint64, []uint64) {
	sw, w, h := src.Rect.Dx(), len(th.first), len(tv.first)
	out := &image.RGBA{Pix: grow(dst, 4*w*h), Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	n := tv.n
	ring, row, acc = grow(ring, n*w), grow(row, sw), grow(acc, w)
	next := 0 // the next source row the horizontal pass makes
	for y, first := range tv.first {
		for ; next < first+n; next++ {
			horizontalPacked(ring[(next%n)*w:(next%n+1)*w], src.Pix[next*src.Stride:next*src.Stride+4*sw], th, row)
		}
		for x := range acc {
			acc[x] = packedBias3
		}
		for k, wt := range tv.wp[y*n : (y+1)*n] {
			if wt != 0 {
				addRow(acc, ring[((first+k)%n)*w:((first+k)%n+1)*w], wt)
			}
		}
		o := out.Pix[y*out.Stride : y*out.Stride+4*w]
		for x, a := range acc {
			// The four bytes in one store: red, green, blue and an opaque alpha.
			binary.LittleEndian.PutUint32(o[4*x:], uint32(lane(a, 0))|uint32(lane(a, 1))<<8|uint32(lane(a, 2))<<16|0xff<<24)
		}
	}
	return out, ring, row, acc
}

// horizontalPacked resamples one row of RGBA pixels src with taps t into dst, packed and
// clamped to 8 bits a channel, using row to hold src packed.
func horizontalPacked(dst []uint64, src []uint8, t *taps, row []uint64) {
	src = src[:4*len(row)]
	for x := range row {
		// One load of the pixel's four bytes; red, green and blue moved to their lanes.
		v := uint64(binary.LittleEndian.Uint32(src[4*x : 4*x+4]))
		row[x] = v&0xff | (v&0xff00)<<(laneBits-8) | (v&0xff0000)<<(2*laneBits-16)
	}
	n := t.n
	dst = dst[:len(t.first)]
	for x, first := range t.first {
		dst[x] = repack(dotPacked(row[first:first+n], t.wp[x*n:x*n+n]))
	}
}

// dotPacked returns the weighted sum of packed pixels, started at packedBias3. It is kept out
// of line, and takes four taps a step in two sums: inlined into horizontalPacked, or with the
// loop over a row's pixels brought in, its sums no longer stay in registers (callgrind, the
// horizontal pass of a 750 → 320 row: 99k instructions inlined, 97k with the row's loop in
// one call, 85k so).
//
//go:noinline
func dotPacked(ps, ws []uint64) uint64 {
	a, b := uint64(packedBias3), uint64(0)
	ws = ws[:len(ps)]
	i := 0
	for ; i+4 <= len(ps); i += 4 {
		p, w := ps[i:i+4], ws[i:i+4] // of known length: no bounds checks below
		a += p[0]*w[0] + p[2]*w[2]
		b += p[1]*w[1] + p[3]*w[3]
	}
	for ; i < len(ps); i++ {
		a += ps[i] * ws[i]
	}
	return a + b
}

// addRow adds row times the weight w (a two's-complement int64) to acc, pixel by pixel.
func addRow(acc, row []uint64, w uint64) {
	row = row[:len(acc)]
	i := 0
	for ; i+4 <= len(acc); i += 4 {
		a, r := acc[i:i+4], row[i:i+4]
		a[0] += r[0] * w
		a[1] += r[1] * w
		a[2] += r[2] * w
		a[3] += r[3] * w
	}
	for ; i < len(acc); i++ {
		acc[i] += row[i] * w
	}
}
