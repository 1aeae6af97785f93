package imaging

import "sync"

// matrixTransform converts 8-bit pixels of a matrix/TRC space (or a grey one) to sRGB, as a
// matrix/TRC profile defines it: each channel through its tone curve to linear light (a table
// of 256), the 3x3 matrix from the space to linear sRGB (fixed point), then sRGB's encoding (a
// table of 65536). It is the pure-Go build's converter; Little CMS makes the same pixels
// within a level (TestMatrixTransformMatchesLittleCMS). Read-only once made: safe for
// concurrent use.
type matrixTransform struct {
	linear [3][256]int32 // 0..linearOne
	m      [3][3]int32   // fixed point, matrixOne is 1
	encode *[linearOne + 1]uint8
}

const (
	linearOne = 1<<16 - 1
	matrixOne = 1 << 12 // at most 65535 · 4096 · 3.1 in a sum of three terms: fits int32
)

// newMatrixTransform returns the transform from s to sRGB, relative colorimetric: both
// profiles' whites are the ICC's D50, so white stays white.
func newMatrixTransform(s *rgbSpace) *matrixTransform {
	fromXYZ, _ := invert(srgbSpace().toXYZ)
	m := mul(fromXYZ, s.toXYZ)
	t := &matrixTransform{encode: srgbEncodeTable()}
	for c := range 3 {
		for v := range 256 {
			t.linear[c][v] = int32(s.trc[c].eval(float64(v)/255)*linearOne + 0.5)
		}
		for k := range 3 {
			t.m[c][k] = int32(m[c][k]*matrixOne + 0.5*sign(m[c][k]))
		}
	}
	return t
}

// newGreyTransform returns the transform from a grey space of tone curve c to sRGB: grey stays
// grey, with the curve's lightness.
func newGreyTransform(c toneCurve) *matrixTransform {
	s := &rgbSpace{trc: [3]toneCurve{c, c, c}}
	s.toXYZ = srgbSpace().toXYZ
	return newMatrixTransform(s)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// convert converts pix, RGBA 4 bytes a pixel, in place; alpha is left as it is. The tables and
// the matrix are held in locals, and every index is of a type its table covers, so that the
// loop has no bounds checks: ~40 instructions a pixel.
func (t *matrixTransform) convert(pix []byte) {
	lr, lg, lb, enc := &t.linear[0], &t.linear[1], &t.linear[2], t.encode
	m := t.m
	for i := 0; i+4 <= len(pix); i += 4 {
		p := pix[i : i+4 : i+4]
		r, g, b := lr[p[0]], lg[p[1]], lb[p[2]]
		p[0] = enc[toLinear16(m[0][0]*r+m[0][1]*g+m[0][2]*b)]
		p[1] = enc[toLinear16(m[1][0]*r+m[1][1]*g+m[1][2]*b)]
		p[2] = enc[toLinear16(m[2][0]*r+m[2][1]*g+m[2][2]*b)]
	}
}

// toLinear16 turns a sum of the matrix's products into a linear value, rounded and clamped.
func toLinear16(v int32) uint16 {
	return uint16(min(max((v+matrixOne/2)>>12, 0), linearOne))
}

func (*matrixTransform) close() {}

// srgbEncodeTable returns sRGB's encoding of every linear value, rounded to the nearest level:
// 64 KB made once per process (from the 255 linear values halfway between levels, so in a
// tenth of a millisecond) and only read after.
var srgbEncodeTable = sync.OnceValue(func() *[linearOne + 1]uint8 {
	var t [linearOne + 1]uint8
	x := 0
	for v := range 255 {
		// Level v covers the linear values below the one halfway to level v+1.
		upper := srgbCurve.eval((float64(v)+0.5)/255) * linearOne
		for ; x <= linearOne && float64(x) < upper; x++ {
			t[x] = uint8(v)
		}
	}
	for ; x <= linearOne; x++ {
		t[x] = 255
	}
	return &t
})
