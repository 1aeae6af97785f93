package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// The test photos of colour_test.go: a real photo's sRGB pixels converted into another space
// and tagged with its profile, as a camera or an editor writes them.

// testProfile is a profile the tests convert photos into.
type testProfile struct {
	name string
	icc  []byte
	// tol is the mean absolute error per channel allowed against the sRGB photo's thumbnail:
	// 8-bit ProPhoto rounds more (a level of it spans more colours).
	tol float64
}

// displayP3Profile is Display P3 (P3 primaries, D65, sRGB's curve), as Apple's devices embed
// it, made with the same code that makes the profile of an nclx box.
func displayP3Profile() []byte { return rgbProfile(displayP3, srgbCurve, "Display P3") }

// cmykProfilePath is a press CMYK profile (Ghostscript's default, a v2 profile of LUTs; Debian
// package libgs-common), read where it is installed: its licence (AGPL) keeps it out of the
// repository.
const cmykProfilePath = "/usr/share/color/icc/ghostscript/default_cmyk.icc"

// rgbTestProfiles are the RGB spaces photos come in: Display P3 (iPhones), Adobe RGB
// (cameras), ProPhoto (Lightroom exports), Wide Gamut; the last three colord's (CC0, in
// testdata/icc).
func rgbTestProfiles(tb testing.TB) []testProfile {
	return []testProfile{
		{"Display P3", displayP3Profile(), 4},
		{"Adobe RGB", readTestdata(tb, "icc/AdobeRGB1998.icc"), 4},
		{"ProPhoto", readTestdata(tb, "icc/ProPhotoRGB.icc"), 4.5},
		{"Wide Gamut", readTestdata(tb, "icc/WideGamutRGB.icc"), 4},
	}
}

// srgbPhoto is the repository's 2 MP camera photo shrunk to 800x600 (a box of 2x2), in sRGB.
func srgbPhoto(tb testing.TB) *image.RGBA {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(testphotos.Read(tb, "camera-1600x1200.jpg")))
	if err != nil {
		tb.Fatal(err)
	}
	out, _ := reduceBox(nil, toRGBA(img), 2, nil)
	return out
}

// toSpace returns the sRGB pixels of img converted into the space of profile icc, a matrix/TRC
// one, in float64 from the profile's own colorants and curves: what an editor's "convert to
// profile" writes (relative colorimetric, clipped to the space).
func toSpace(tb testing.TB, img *image.RGBA, icc []byte) *image.RGBA {
	tb.Helper()
	p, err := readICC(icc)
	if err != nil || p.rgb == nil {
		tb.Fatalf("not a matrix/TRC profile: %v", err)
	}
	fromXYZ, ok := invert(p.rgb.toXYZ)
	if !ok {
		tb.Fatal("singular matrix")
	}
	m := mul(fromXYZ, srgbSpace().toXYZ)
	var encode [3]func(float64) uint8
	for c := range 3 {
		encode[c] = inverseCurve(p.rgb.trc[c])
	}
	var decode [256]float64
	for v := range decode {
		decode[v] = srgbCurve.eval(float64(v) / 255)
	}
	out := image.NewRGBA(img.Rect)
	for i := 0; i < len(img.Pix); i += 4 {
		var lin [3]float64
		for c := range 3 {
			lin[c] = decode[img.Pix[i+c]]
		}
		v := apply(m, lin)
		for c := range 3 {
			out.Pix[i+c] = encode[c](clamp01(v[c]))
		}
		out.Pix[i+3] = 255
	}
	return out
}

// inverseCurve returns the inverse of a tone curve, rounded to 8 bits in its own encoding:
// the level whose interval, from half a level below to half a level above, holds y.
func inverseCurve(c toneCurve) func(float64) uint8 {
	var upper [256]float64
	for v := range upper {
		upper[v] = c.eval((float64(v) + 0.5) / 255)
	}
	return func(y float64) uint8 {
		return uint8(sort.SearchFloat64s(upper[:255], y))
	}
}

// withJPEGProfile puts icc into APP2 ICC_PROFILE segments of at most chunk bytes each, after
// the SOI of a JPEG.
func withJPEGProfile(jpg, icc []byte, chunk int) []byte {
	var segs []byte
	n := (len(icc) + chunk - 1) / chunk
	for i := range n {
		part := icc[i*chunk : min((i+1)*chunk, len(icc))]
		seg := append([]byte("\xff\xe2\x00\x00ICC_PROFILE\x00"), byte(i+1), byte(n))
		seg = append(seg, part...)
		binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)-2))
		segs = append(segs, seg...)
	}
	return append(append(append([]byte{}, jpg[:2]...), segs...), jpg[2:]...)
}

// withPNGChunk inserts a chunk right after the IHDR chunk of a PNG.
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	const afterIHDR = 8 + 8 + 13 + 4
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, typ...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(append(append([]byte{}, p[:afterIHDR]...), chunk...), p[afterIHDR:]...)
}

// iccpChunk is the data of a PNG iCCP chunk holding icc.
func iccpChunk(tb testing.TB, icc []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("icc\x00\x00")
	z := zlib.NewWriter(&buf)
	if _, err := z.Write(icc); err != nil {
		tb.Fatal(err)
	}
	if err := z.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// rgbTIFF writes img as an uncompressed 8-bit RGB TIFF (little-endian, one strip) with icc in
// tag 34675 when it is not nil; x/image/tiff writes no profile.
func rgbTIFF(img *image.RGBA, icc []byte) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	pix := make([]byte, 0, 3*w*h)
	for i := 0; i < len(img.Pix); i += 4 {
		pix = append(pix, img.Pix[i:i+3]...)
	}
	le := binary.LittleEndian
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32
	}
	entries := []entry{{256, 4, 1, uint32(w)}, {257, 4, 1, uint32(h)}, {258, 3, 3, 0}, {259, 3, 1, 1},
		{262, 3, 1, 2}, {273, 4, 1, 0}, {277, 3, 1, 3}, {278, 4, 1, uint32(h)}, {279, 4, 1, uint32(len(pix))}, {284, 3, 1, 1}}
	if icc != nil {
		entries = append(entries, entry{tiffICCProfile, 7, uint32(len(icc)), 0})
	}
	ifdSize := 2 + 12*len(entries) + 4
	bitsAt := 8 + ifdSize
	iccAt := bitsAt + 6
	pixAt := iccAt + len(icc)
	out := []byte("II*\x00")
	out = le.AppendUint32(out, 8)
	out = le.AppendUint16(out, uint16(len(entries)))
	for _, e := range entries {
		switch e.tag {
		case 258:
			e.value = uint32(bitsAt)
		case 273:
			e.value = uint32(pixAt)
		case tiffICCProfile:
			e.value = uint32(iccAt)
		}
		out = le.AppendUint16(out, e.tag)
		out = le.AppendUint16(out, e.typ)
		out = le.AppendUint32(out, e.count)
		if e.typ == 3 && e.count == 1 {
			out = le.AppendUint16(out, uint16(e.value))
			out = le.AppendUint16(out, 0)
		} else {
			out = le.AppendUint32(out, e.value)
		}
	}
	out = le.AppendUint32(out, 0)
	out = append(out, 8, 0, 8, 0, 8, 0)
	out = append(out, icc...)
	return append(out, pix...)
}

// thumbPixels makes the thumbnail of src and returns its pixels before encoding, with what
// Make learnt.
func thumbPixels(tb testing.TB, m *Maker, src []byte) (*image.RGBA, Set) {
	tb.Helper()
	w := m.idle.get()
	defer m.idle.put(w)
	var out *image.RGBA
	set, err := m.render(w, src, func(_ target, px *image.RGBA) error {
		// The last, smallest size: the one box of the tests' configs.
		out = image.NewRGBA(px.Rect)
		draw.Draw(out, out.Rect, px, px.Rect.Min, draw.Src)
		return nil
	})
	if err != nil {
		tb.Fatalf("render: %v", err)
	}
	return out, set
}

// colourSample reads a committed sample of testdata/colour, made from the same photo.
func colourSample(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/colour/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// greyGamma is a grey profile of a pure gamma curve.
func greyGamma(gamma float64) []byte { return greyProfile(paraCurve{g: gamma, a: 1}, "grey") }

// readCMYKProfile reads the press CMYK profile, which CI installs (.ci/packages); elsewhere a
// test needing it is skipped when it is missing.
func readCMYKProfile(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(cmykProfilePath)
	if err != nil {
		if os.Getenv("CI") == "" {
			tb.Skipf("%v (apt-get install libgs-common)", err)
		}
		tb.Fatal(err)
	}
	return b
}

// colourSamples, when set, names a folder where TestColourFormatSamplesAreConverted writes the PNGs
// that testdata/colour's WebP, HEIC and AVIF files are made from (testdata/README.md).
var colourSamples = flag.String("colour-samples", "", "write the sources of testdata/colour into this folder")

// writeColourSources writes the photo at 320x240 in sRGB, in Display P3 with its profile, and
// in Display P3 untagged, to which tests add an nclx box.
func writeColourSources(tb testing.TB, dir string) {
	photo := (&worker{}).resize(srgbPhoto(tb), 320, 240, true)
	p3 := toSpace(tb, photo, displayP3Profile())
	for name, b := range map[string][]byte{
		"srgb.png":        encodePNG(tb, photo),
		"p3.png":          withPNGChunk(encodePNG(tb, p3), "iCCP", iccpChunk(tb, displayP3Profile())),
		"p3-untagged.png": encodePNG(tb, p3),
		"display-p3.icc":  displayP3Profile(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// hugeCLUTProfile is a CMYK profile of a few hundred bytes whose A2B0 table (lut16Type)
// declares 80 grid points per input: 80⁴ × 3 samples of 2 bytes, 246 MB that the data does not
// hold. Without a limit, Little CMS allocates it before finding the data missing.
func hugeCLUTProfile() []byte {
	lut := []byte("mft2\x00\x00\x00\x00")
	lut = append(lut, 4, 3, 80, 0)
	for i := range 9 { // the identity matrix
		v := uint32(0)
		if i%4 == 0 {
			v = 1 << 16
		}
		lut = binary.BigEndian.AppendUint32(lut, v)
	}
	lut = binary.BigEndian.AppendUint16(lut, 2)
	lut = binary.BigEndian.AppendUint16(lut, 2)
	lut = append(lut, make([]byte, 64)...)
	return writeICC("prtr", "CMYK", []iccTag{{"desc", mlucTag("huge")}, {"wtpt", xyzTag(iccD50)}, {"A2B0", lut}})
}
