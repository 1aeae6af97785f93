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

// convert converts pix, RGBA 4 bytes a pixel, in place; alpha is left as it is.
func (t *matrixTransform) convert(pix []byte) {
	for i := 0; i+3 < len(pix); i += 4 {
		r, g, b := t.linear[0][pix[i]], t.linear[1][pix[i+1]], t.linear[2][pix[i+2]]
		pix[i] = t.encode[clampLinear((t.m[0][0]*r+t.m[0][1]*g+t.m[0][2]*b+matrixOne/2)>>12)]
		pix[i+1] = t.encode[clampLinear((t.m[1][0]*r+t.m[1][1]*g+t.m[1][2]*b+matrixOne/2)>>12)]
		pix[i+2] = t.encode[clampLinear((t.m[2][0]*r+t.m[2][1]*g+t.m[2][2]*b+matrixOne/2)>>12)]
	}
}

func (*matrixTransform) close() {}

func clampLinear(v int32) int32 { return min(max(v, 0), linearOne) }

// srgbEncodeTable returns sRGB's encoding of every linear value, 64 KB made once per process
// and only read after.
var srgbEncodeTable = sync.OnceValue(func() *[linearOne + 1]uint8 {
	var t [linearOne + 1]uint8
	for v := range t {
		t[v] = uint8(srgbEncode(float64(v)/linearOne)*255 + 0.5)
	}
	return &t
})
