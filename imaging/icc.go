package imaging

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The reader below reads, from outside input, what photoproc needs of an ICC profile (ICC.1:2010,
// versions 2 and 4) before any colour engine sees it: the header's device class and colour
// space, and for matrix/TRC profiles (Display P3, Adobe RGB, ProPhoto, every camera's RGB) the
// three colorants and tone curves, from which it tells an sRGB profile from another and which
// the pure-Go build converts with (colourmatrix.go). It checks every offset and count against
// the profile's length and allocates in proportion to the bytes it reads, so it ends on any
// input. LUT-based profiles (CMYK, printers) are Little CMS's business alone.

// maxProfileBytes bounds the ICC profiles read: the matrix/TRC profiles of cameras and phones
// take 0.5 to 25 KB, a press CMYK profile 0.2 to 2 MB; a larger one is ignored.
const maxProfileBytes = 4 << 20

// iccProfile is what readICC learnt of a profile.
type iccProfile struct {
	class string // device class: "mntr", "scnr", "prtr", "spac", "link", "abst", "nmcl"
	space string // data colour space: "RGB ", "GRAY", "CMYK", ...
	pcs   string // profile connection space: "XYZ " or "Lab "
	// rgb is set for an RGB matrix/TRC profile: linear RGB to PCS XYZ (D50), and its curves.
	rgb *rgbSpace
	// grey is set for a grey profile with a tone curve (kTRC).
	grey toneCurve
	// lut says the profile has A2B tables, which Little CMS prefers to the matrix.
	lut bool
	// name is the profile's description, when it is plain ASCII text, for messages.
	name string
}

// rgbSpace is an RGB colour space as a matrix/TRC profile describes it: each channel goes
// through its tone curve to linear light, then toXYZ (columns: the red, green and blue
// colorants) maps linear RGB to XYZ relative to D50, the ICC's connection white.
type rgbSpace struct {
	toXYZ [3][3]float64
	trc   [3]toneCurve
}

// readICC reads a profile's header and the tags photoproc uses.
func readICC(p []byte) (*iccProfile, error) {
	if len(p) < 132 {
		return nil, fmt.Errorf("%d bytes, shorter than a header", len(p))
	}
	if len(p) > maxProfileBytes {
		return nil, fmt.Errorf("%d bytes, more than the %d read", len(p), maxProfileBytes)
	}
	if string(p[36:40]) != "acsp" {
		return nil, fmt.Errorf("no profile signature")
	}
	if size := binary.BigEndian.Uint32(p); uint64(size) > uint64(len(p)) {
		return nil, fmt.Errorf("header says %d bytes, %d present", size, len(p))
	}
	prof := &iccProfile{class: string(p[12:16]), space: string(p[16:20]), pcs: string(p[20:24])}
	tags, err := iccTags(p)
	if err != nil {
		return nil, err
	}
	prof.name = iccText(tags["desc"])
	prof.lut = tags["A2B0"] != nil || tags["A2B1"] != nil
	switch {
	case prof.space == "RGB " && prof.pcs == "XYZ ":
		prof.rgb = readMatrixTRC(tags)
	case prof.space == "GRAY":
		prof.grey, _ = readCurve(tags["kTRC"])
	}
	return prof, nil
}

// iccTags returns the data of each tag by signature. A tag whose data lies outside the profile
// is left out, as if missing.
func iccTags(p []byte) (map[string][]byte, error) {
	n := binary.BigEndian.Uint32(p[128:])
	if uint64(n)*12 > uint64(len(p)-132) {
		return nil, fmt.Errorf("tag table of %d entries in %d bytes", n, len(p))
	}
	tags := make(map[string][]byte, n)
	for i := range int(n) {
		e := p[132+12*i:]
		off, size := uint64(binary.BigEndian.Uint32(e[4:])), uint64(binary.BigEndian.Uint32(e[8:]))
		if off+size <= uint64(len(p)) {
			tags[string(e[:4])] = p[off : off+size]
		}
	}
	return tags, nil
}

// readMatrixTRC returns the matrix/TRC model of an RGB profile, or nil when it lacks one or
// one of its parts cannot be read.
func readMatrixTRC(tags map[string][]byte) *rgbSpace {
	var s rgbSpace
	for c, name := range []string{"r", "g", "b"} {
		xyz, ok := readXYZ(tags[name+"XYZ"])
		if !ok {
			return nil
		}
		for i := range 3 {
			s.toXYZ[i][c] = xyz[i]
		}
		if s.trc[c], ok = readCurve(tags[name+"TRC"]); !ok {
			return nil
		}
	}
	return &s
}

// readXYZ reads an XYZType tag's first value.
func readXYZ(t []byte) ([3]float64, bool) {
	if len(t) < 20 || string(t[:4]) != "XYZ " {
		return [3]float64{}, false
	}
	var v [3]float64
	for i := range v {
		v[i] = s15Fixed16(t[8+4*i:])
	}
	return v, true
}

func s15Fixed16(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) / 65536 }

// maxCurvePoints bounds a sampled tone curve: profiles use 256 to 4096 points.
const maxCurvePoints = 1 << 16

// readCurve reads a curveType ("curv") or parametricCurveType ("para") tag.
func readCurve(t []byte) (toneCurve, bool) {
	if len(t) < 12 {
		return nil, false
	}
	switch string(t[:4]) {
	case "curv":
		n := binary.BigEndian.Uint32(t[8:])
		switch {
		case n == 0:
			return paraCurve{g: 1, a: 1}, true
		case n == 1 && len(t) >= 14:
			return paraCurve{g: float64(binary.BigEndian.Uint16(t[12:])) / 256, a: 1}, true
		case n > maxCurvePoints || uint64(len(t)) < 12+2*uint64(n):
			return nil, false
		}
		c := make(sampledCurve, n)
		for i := range c {
			c[i] = binary.BigEndian.Uint16(t[12+2*i:])
		}
		return c, true
	case "para":
		return readParametric(t)
	}
	return nil, false
}

// readParametric reads the five kinds of parametric curve into the most general one.
func readParametric(t []byte) (toneCurve, bool) {
	kinds := [5]int{1, 3, 4, 5, 7} // parameters of each function type
	fn := int(binary.BigEndian.Uint16(t[8:]))
	if fn >= len(kinds) || len(t) < 12+4*kinds[fn] {
		return nil, false
	}
	var v [7]float64
	for i := range kinds[fn] {
		v[i] = s15Fixed16(t[12+4*i:])
	}
	c := paraCurve{g: v[0], a: 1}
	switch fn {
	case 1: // (aX+b)^g for X ≥ -b/a, else 0
		c.a, c.b = v[1], v[2]
		c.d = threshold(v[1], v[2])
	case 2: // (aX+b)^g + c for X ≥ -b/a, else c
		c.a, c.b, c.e, c.f = v[1], v[2], v[3], v[3]
		c.d = threshold(v[1], v[2])
	case 3: // (aX+b)^g for X ≥ d, else cX
		c.a, c.b, c.c, c.d = v[1], v[2], v[3], v[4]
	case 4: // (aX+b)^g + e for X ≥ d, else cX + f
		c.a, c.b, c.c, c.d, c.e, c.f = v[1], v[2], v[3], v[4], v[5], v[6]
	}
	return c, true
}

func threshold(a, b float64) float64 {
	if a == 0 {
		return 0
	}
	return -b / a
}

// toneCurve maps an encoded channel value in [0, 1] to linear light in [0, 1].
type toneCurve interface{ eval(x float64) float64 }

// paraCurve is ICC parametric function type 4, which holds the other four:
// (aX+b)^g + e for X ≥ d, else cX + f.
type paraCurve struct{ g, a, b, c, d, e, f float64 }

func (p paraCurve) eval(x float64) float64 {
	var y float64
	if x >= p.d {
		y = math.Pow(max(p.a*x+p.b, 0), p.g) + p.e
	} else {
		y = p.c*x + p.f
	}
	return clamp01(y)
}

// sampledCurve is a curve given as equally spaced samples, read with linear interpolation.
type sampledCurve []uint16

func (s sampledCurve) eval(x float64) float64 {
	if len(s) == 1 {
		return float64(s[0]) / 65535
	}
	pos := clamp01(x) * float64(len(s)-1)
	i := min(int(pos), len(s)-2)
	frac := pos - float64(i)
	return (float64(s[i])*(1-frac) + float64(s[i+1])*frac) / 65535
}

func clamp01(v float64) float64 {
	if !(v > 0) { // NaN too
		return 0
	}
	return min(v, 1)
}

// srgbCurve is sRGB's tone curve (IEC 61966-2-1).
var srgbCurve = paraCurve{g: 2.4, a: 1 / 1.055, b: 0.055 / 1.055, c: 1 / 12.92, d: 0.04045}

// srgbEncode is the inverse of srgbCurve: linear light to an encoded value in [0, 1].
func srgbEncode(l float64) float64 {
	l = clamp01(l)
	if l <= 0.0031308 {
		return 12.92 * l
	}
	return 1.055*math.Pow(l, 1/2.4) - 0.055
}

// isSRGB reports whether converting from s to sRGB would change no 8-bit value by a visible
// amount: its colorants within 0.002 of sRGB's (as s15Fixed16 rounding and the variants of
// published sRGB profiles differ) and each curve within half a level of sRGB's at every 8-bit
// input. Such a profile is left alone, which keeps the common case as it was and free.
func (s *rgbSpace) isSRGB() bool {
	ref := srgbSpace()
	for i := range 3 {
		for j := range 3 {
			if math.Abs(s.toXYZ[i][j]-ref.toXYZ[i][j]) > 0.002 {
				return false
			}
		}
	}
	for _, c := range s.trc {
		if !curveIsSRGB(c) {
			return false
		}
	}
	return true
}

// curveIsSRGB reports whether c encodes like sRGB within half a level at every 8-bit input.
func curveIsSRGB(c toneCurve) bool {
	for v := range 256 {
		if math.Abs(srgbEncode(c.eval(float64(v)/255))*255-float64(v)) > 0.5 {
			return false
		}
	}
	return true
}

// iccText returns the ASCII text of a textDescriptionType (v2), multiLocalizedUnicodeType (v4,
// its first record) or textType tag, or "" when there is none to show.
func iccText(t []byte) string {
	if len(t) < 12 {
		return ""
	}
	var raw []byte
	switch string(t[:4]) {
	case "desc":
		n := binary.BigEndian.Uint32(t[8:])
		if uint64(n) <= uint64(len(t)-12) {
			raw = t[12 : 12+n]
		}
	case "text":
		raw = t[8:]
	case "mluc":
		if len(t) < 28 || binary.BigEndian.Uint32(t[8:]) == 0 {
			return ""
		}
		n, off := uint64(binary.BigEndian.Uint32(t[20:])), uint64(binary.BigEndian.Uint32(t[24:]))
		if off+n > uint64(len(t)) {
			return ""
		}
		for i := off; i+1 < off+n; i += 2 { // UTF-16BE: keep the ASCII
			if t[i] == 0 {
				raw = append(raw, t[i+1])
			}
		}
	}
	return printable(raw)
}

// printable returns b up to its first NUL, if it is short printable ASCII, else "".
func printable(b []byte) string {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
