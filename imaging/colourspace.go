package imaging

import (
	"bytes"
	"encoding/binary"
	"math"
)

// RGB colour spaces given by primaries, a white point and a transfer function, as HEIF's nclx
// box, PNG's cICP, cHRM and gAMA chunks describe them, and the ICC profile that describes the
// same space, so that every source reaches the converter the same way: as ICC bytes.

// xy is a CIE 1931 chromaticity.
type xy struct{ x, y float64 }

// primaries are the chromaticities of an RGB space's red, green and blue, and its white.
type primaries struct{ r, g, b, w xy }

// Well-known spaces (ITU-T H.273 colour primaries).
var (
	d65        = xy{0.3127, 0.3290}
	bt709      = primaries{xy{0.640, 0.330}, xy{0.300, 0.600}, xy{0.150, 0.060}, d65}
	displayP3  = primaries{xy{0.680, 0.320}, xy{0.265, 0.690}, xy{0.150, 0.060}, d65}
	dciP3      = primaries{xy{0.680, 0.320}, xy{0.265, 0.690}, xy{0.150, 0.060}, xy{0.314, 0.351}}
	bt2020     = primaries{xy{0.708, 0.292}, xy{0.170, 0.797}, xy{0.131, 0.046}, d65}
	bt601_625  = primaries{xy{0.640, 0.330}, xy{0.290, 0.600}, xy{0.150, 0.060}, d65}
	smpte170M  = primaries{xy{0.630, 0.340}, xy{0.310, 0.595}, xy{0.155, 0.070}, d65}
	bt470M     = primaries{xy{0.670, 0.330}, xy{0.210, 0.710}, xy{0.140, 0.080}, xy{0.310, 0.316}}
	ebu3213    = primaries{xy{0.630, 0.340}, xy{0.295, 0.605}, xy{0.155, 0.077}, d65}
	iccD50     = [3]float64{0.9642, 1, 0.8249} // the ICC's connection white (PCS illuminant)
	bt709Curve = paraCurve{g: 1 / 0.45, a: 1 / 1.099, b: 0.099 / 1.099, c: 1 / 4.5, d: 0.081242}
)

func (c xy) xyz() [3]float64 { return [3]float64{c.x / c.y, 1, (1 - c.x - c.y) / c.y} }

// toXYZD50 returns the matrix from linear RGB to XYZ relative to D50: the space's own matrix
// (SMPTE RP 177), then a Bradford adaptation from its white to D50, as the ICC requires of the
// colorants of a matrix/TRC profile and as Little CMS's cmsCreateRGBProfile computes them.
func (p primaries) toXYZD50() ([3][3]float64, bool) {
	if p.r.y <= 0 || p.g.y <= 0 || p.b.y <= 0 || p.w.y <= 0 {
		return [3][3]float64{}, false
	}
	var m [3][3]float64
	for c, col := range [3]xy{p.r, p.g, p.b} {
		v := col.xyz()
		for i := range 3 {
			m[i][c] = v[i]
		}
	}
	inv, ok := invert(m)
	if !ok {
		return m, false
	}
	s := apply(inv, p.w.xyz())
	for i := range 3 {
		for c := range 3 {
			m[i][c] *= s[c]
		}
	}
	return mul(bradford(p.w.xyz(), iccD50), m), true
}

// bradford returns the Bradford chromatic adaptation from white src to white dst.
func bradford(src, dst [3]float64) [3][3]float64 {
	b := [3][3]float64{{0.8951, 0.2664, -0.1614}, {-0.7502, 1.7135, 0.0367}, {0.0389, -0.0685, 1.0296}}
	bi, _ := invert(b)
	s, d := apply(b, src), apply(b, dst)
	scale := [3][3]float64{{d[0] / s[0], 0, 0}, {0, d[1] / s[1], 0}, {0, 0, d[2] / s[2]}}
	return mul(bi, mul(scale, b))
}

func mul(a, b [3][3]float64) [3][3]float64 {
	var m [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				m[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return m
}

func apply(m [3][3]float64, v [3]float64) [3]float64 {
	return [3]float64{
		m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2],
		m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2],
		m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2],
	}
}

func invert(m [3][3]float64) ([3][3]float64, bool) {
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	if math.Abs(det) < 1e-9 || math.IsNaN(det) || math.IsInf(det, 0) {
		return [3][3]float64{}, false
	}
	var r [3][3]float64
	for i := range 3 {
		for j := range 3 {
			// The cofactor of (j, i), divided by the determinant.
			a, b := (j+1)%3, (j+2)%3
			c, d := (i+1)%3, (i+2)%3
			r[i][j] = (m[a][c]*m[b][d] - m[a][d]*m[b][c]) / det
		}
	}
	return r, true
}

// srgbSpace is sRGB as a matrix/TRC space.
func srgbSpace() *rgbSpace {
	m, _ := bt709.toXYZD50()
	return &rgbSpace{toXYZ: m, trc: [3]toneCurve{srgbCurve, srgbCurve, srgbCurve}}
}

// rgbProfile returns an ICC profile (version 4, display class) of the space of p with curve c
// for each channel, or nil when p is not a space (primaries in a line, a white of y 0).
func rgbProfile(p primaries, c paraCurve, name string) []byte {
	m, ok := p.toXYZD50()
	if !ok {
		return nil
	}
	var tags []iccTag
	tags = append(tags, iccTag{"desc", mlucTag(name)}, iccTag{"wtpt", xyzTag(iccD50)})
	for col, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		tags = append(tags, iccTag{sig, xyzTag([3]float64{m[0][col], m[1][col], m[2][col]})})
	}
	curve := paraTag(c)
	for _, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		tags = append(tags, iccTag{sig, curve})
	}
	return writeICC("mntr", "RGB ", tags)
}

// greyProfile returns an ICC profile (version 4, display class) of grey pixels of curve c.
func greyProfile(c paraCurve, name string) []byte {
	return writeICC("mntr", "GRAY", []iccTag{{"desc", mlucTag(name)}, {"wtpt", xyzTag(iccD50)}, {"kTRC", paraTag(c)}})
}

type iccTag struct {
	sig  string
	data []byte
}

// writeICC lays out a profile: header, tag table, then each tag's data on a 4-byte boundary.
func writeICC(class, space string, tags []iccTag) []byte {
	var data bytes.Buffer
	offsets := make([]int, len(tags))
	start := 128 + 4 + 12*len(tags)
	for i, t := range tags {
		offsets[i] = start + data.Len()
		data.Write(t.data)
		for data.Len()%4 != 0 {
			data.WriteByte(0)
		}
	}
	size := start + data.Len()
	p := make([]byte, 128, size)
	binary.BigEndian.PutUint32(p, uint32(size))
	copy(p[8:], []byte{4, 0x30, 0, 0}) // version 4.3
	copy(p[12:], class)
	copy(p[16:], space)
	copy(p[20:], "XYZ ")
	copy(p[36:], "acsp")
	binary.BigEndian.PutUint32(p[64:], 0) // perceptual intent
	copy(p[68:], xyzTag(iccD50)[8:])      // the PCS illuminant
	p = binary.BigEndian.AppendUint32(p, uint32(len(tags)))
	for i, t := range tags {
		p = append(p, t.sig...)
		p = binary.BigEndian.AppendUint32(p, uint32(offsets[i]))
		p = binary.BigEndian.AppendUint32(p, uint32(len(t.data)))
	}
	return append(p, data.Bytes()...)
}

func xyzTag(v [3]float64) []byte {
	b := []byte("XYZ \x00\x00\x00\x00")
	for _, f := range v {
		b = binary.BigEndian.AppendUint32(b, uint32(toS15Fixed16(f)))
	}
	return b
}

func toS15Fixed16(f float64) int32 { return int32(math.Round(f * 65536)) }

// paraTag writes c as parametric function type 4, which holds every kind.
func paraTag(c paraCurve) []byte {
	b := []byte("para\x00\x00\x00\x00\x00\x04\x00\x00")
	for _, f := range []float64{c.g, c.a, c.b, c.c, c.d, c.e, c.f} {
		b = binary.BigEndian.AppendUint32(b, uint32(toS15Fixed16(f)))
	}
	return b
}

// mlucTag writes an ASCII description as a one-record multiLocalizedUnicodeType (en-US).
func mlucTag(s string) []byte {
	b := []byte("mluc\x00\x00\x00\x00")
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 12)
	b = append(b, "enUS"...)
	b = binary.BigEndian.AppendUint32(b, uint32(2*len(s)))
	b = binary.BigEndian.AppendUint32(b, 28)
	for _, r := range []byte(s) {
		b = append(b, 0, r)
	}
	return b
}
