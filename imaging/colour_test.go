//go:build !race

// The colour tests compare thumbnails' pixels with references, which the race detector makes
// minutes long without checking anything more: they are built without it, and make test runs
// them on their own without -race, besides the pure-Go run (as TestMakeCloseToLanczos).
// Concurrent use of the colour cache is TestMakeConcurrent's.

package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/imaging/heiftest"
)

// photoFormats encode a picture in a format we read profiles from, with icc embedded (or none
// when icc is nil).
var photoFormats = []struct {
	name   string
	encode func(tb testing.TB, img *image.RGBA, icc []byte) []byte
}{
	{"JPEG", func(tb testing.TB, img *image.RGBA, icc []byte) []byte {
		jpg := encodeJPEGTest(tb, img)
		if icc == nil {
			return jpg
		}
		return withJPEGProfile(jpg, icc, 4000) // several segments for the larger profiles
	}},
	{"PNG", func(tb testing.TB, img *image.RGBA, icc []byte) []byte {
		p := encodePNG(tb, img)
		if icc == nil {
			return p
		}
		return withPNGChunk(p, "iCCP", iccpChunk(tb, icc))
	}},
	{"TIFF", func(_ testing.TB, img *image.RGBA, icc []byte) []byte { return rgbTIFF(img, icc) }},
}

// TestColourProfilesAreConvertedToSRGB: a photo converted into another space and tagged with its
// profile makes the thumbnail the sRGB photo makes, within the profile's tolerance; the same
// pixels with the profile dropped (what photoproc did before) do not.
func TestColourProfilesAreConvertedToSRGB(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	defer m.Close()
	photo := srgbPhoto(t)
	for _, pf := range photoFormats {
		want, _ := thumbPixels(t, m, pf.encode(t, photo, nil))
		for _, p := range rgbTestProfiles(t) {
			converted := toSpace(t, photo, p.icc)
			got, th := thumbPixels(t, m, pf.encode(t, converted, p.icc))
			before, _ := thumbPixels(t, m, pf.encode(t, converted, nil))
			after, was := maxOf(meanAbsError(t, got, want)), maxOf(meanAbsError(t, before, want))
			t.Logf("%s %s: error %.2f without conversion, %.2f with; %+v", pf.name, p.name, was, after, th.Colour)
			if !th.Colour.Converted || th.Colour.Ignored != "" {
				t.Errorf("%s %s: not converted: %+v", pf.name, p.name, th.Colour)
			}
			if after > p.tol {
				t.Errorf("%s %s: thumbnail %.2f from the sRGB photo's, want at most %.1f", pf.name, p.name, after, p.tol)
			}
			if was < 1.5*after {
				t.Errorf("%s %s: without conversion %.2f, with %.2f: the test photo does not tell them apart", pf.name, p.name, was, after)
			}
		}
	}
}

// TestColourSRGBAndUntaggedAreLeftAsTheyWere: a photo without a profile, or with any of the usual
// sRGB profiles, comes out with exactly the pixels it had before profiles were read.
func TestColourSRGBAndUntaggedAreLeftAsTheyWere(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	defer m.Close()
	photo := srgbPhoto(t)
	srgbProfiles := map[string][]byte{
		"ours":   rgbProfile(bt709, srgbCurve, "sRGB"),
		"colord": readTestdata(t, "icc/sRGB-colord.icc"),
		"v2":     readTestdata(t, "icc/sRGB-v2.icc"),
	}
	for _, pf := range photoFormats {
		want, th := thumbPixels(t, m, pf.encode(t, photo, nil))
		if th.Colour != (ColourInfo{}) {
			t.Errorf("%s untagged: %+v", pf.name, th.Colour)
		}
		for name, icc := range srgbProfiles {
			got, th := thumbPixels(t, m, pf.encode(t, photo, icc))
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%s with the %s sRGB profile: pixels changed (%v)", pf.name, name, meanAbsError(t, got, want))
			}
			if th.Colour.Converted || th.Colour.Ignored != "" || th.Colour.Profile == "" {
				t.Errorf("%s with the %s sRGB profile: %+v", pf.name, name, th.Colour)
			}
		}
	}
}

// TestColourPNGChunksDeclareSpaces: PNG's sRGB, cHRM and gAMA, and cICP chunks are read as browsers
// read them.
func TestColourPNGChunksDeclareSpaces(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	defer m.Close()
	photo := srgbPhoto(t)
	plain := encodePNG(t, photo)
	want, _ := thumbPixels(t, m, plain)
	p3 := encodePNG(t, toSpace(t, photo, displayP3Profile()))
	u32 := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = append(b, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
		}
		return b
	}
	p3CHRM := u32(31270, 32900, 68000, 32000, 26500, 69000, 15000, 6000)
	for _, tc := range []struct {
		name      string
		src       []byte
		converted bool
	}{
		{"sRGB chunk", withPNGChunk(plain, "sRGB", []byte{0}), false},
		{"cICP sRGB", withPNGChunk(plain, "cICP", []byte{1, 13, 0, 1}), false},
		{"cICP Display P3", withPNGChunk(p3, "cICP", []byte{12, 13, 0, 1}), true},
		{"cHRM P3 with sRGB's curve", withPNGChunk(p3, "cHRM", p3CHRM), true},
	} {
		got, th := thumbPixels(t, m, tc.src)
		if th.Colour.Converted != tc.converted || th.Colour.Ignored != "" {
			t.Errorf("%s: %+v", tc.name, th.Colour)
		}
		if e := maxOf(meanAbsError(t, got, want)); e > 4 {
			t.Errorf("%s: %.2f from the sRGB thumbnail", tc.name, e)
		}
	}
	// gAMA alone: gamma 1/2.2 with sRGB primaries, darker than sRGB in the shadows: level 10
	// is 0.0008 of white's light, which sRGB encodes as level 2.6.
	dark := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range dark.Pix {
		dark.Pix[i] = 10
		if i%4 == 3 {
			dark.Pix[i] = 255
		}
	}
	got, th := thumbPixels(t, m, withPNGChunk(encodePNG(t, dark), "gAMA", u32(45455)))
	if !th.Colour.Converted || got.Pix[0] < 2 || got.Pix[0] > 4 {
		t.Errorf("gAMA 1/2.2: level 10 came out %d, want 3 (%+v)", got.Pix[0], th.Colour)
	}
	// The same on a grey PNG: its curve applies, and greys stay grey.
	grey := image.NewGray(dark.Rect)
	for i := range grey.Pix {
		grey.Pix[i] = 10
	}
	got, th = thumbPixels(t, m, withPNGChunk(encodePNG(t, grey), "gAMA", u32(45455)))
	if p := got.Pix[:3]; !th.Colour.Converted || p[0] < 2 || p[0] > 4 || p[1] != p[0] || p[2] != p[0] {
		t.Errorf("gAMA 1/2.2 on grey: level 10 came out %v, want grey 3 (%+v)", p, th.Colour)
	}
}

func mean(img *image.RGBA) float64 {
	var s float64
	for i, v := range img.Pix {
		if i%4 != 3 {
			s += float64(v)
		}
	}
	return s / float64(len(img.Pix)*3/4)
}

// TestColourBadProfilesAreIgnored: a profile that cannot be used never fails the photo: it is
// ignored, saying why, and the pixels come out as they did without it.
func TestColourBadProfilesAreIgnored(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	defer m.Close()
	photo := srgbPhoto(t)
	plain := encodeJPEGTest(t, photo)
	want, _ := thumbPixels(t, m, plain)
	p3 := displayP3Profile()
	lying := append([]byte{}, p3...)
	lying[131] = 0xff // a tag count past the end
	cut := p3[:len(p3)/2]
	huge := make([]byte, maxProfileBytes+1)
	copy(huge, p3)
	garbage := bytes.Repeat([]byte("not a profile "), 100)
	for _, tc := range []struct {
		name string
		src  []byte
	}{
		{"truncated", withJPEGProfile(plain, cut, 60000)},
		{"lying tag count", withJPEGProfile(plain, lying, 60000)},
		{"not a profile", withJPEGProfile(plain, garbage, 60000)},
		{"larger than read", withJPEGProfile(plain, huge, 65000)},
		{"a segment missing", withJPEGProfile(plain, p3, 100)[:0]},
		{"CMYK profile on RGB pixels", cmykOnRGB(t, plain)},
		{"grey profile on RGB pixels", withJPEGProfile(plain, greyGamma(1.8), 60000)},
	} {
		if len(tc.src) == 0 {
			src := withJPEGProfile(plain, p3, 100)
			// Drop the second APP2 segment.
			i := bytes.Index(src[2:], []byte("\xff\xe2"))
			j := bytes.Index(src[2+i+2:], []byte("\xff\xe2"))
			k := bytes.Index(src[2+i+2+j+2:], []byte("\xff\xe2"))
			start, end := 2+i+2+j, 2+i+2+j+2+k
			tc.src = append(append([]byte{}, src[:start]...), src[end:]...)
		}
		got, th := thumbPixels(t, m, tc.src)
		if th.Colour.Converted || th.Colour.Ignored == "" {
			t.Errorf("%s: %+v", tc.name, th.Colour)
		}
		t.Logf("%s: %s", tc.name, th.Colour.Ignored)
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: pixels changed", tc.name)
		}
	}
}

// cmykOnRGB is plain with a CMYK profile; a test skips it where the profile is not installed
// only outside CI (.ci/packages installs it).
func cmykOnRGB(t *testing.T, plain []byte) []byte {
	return withJPEGProfile(plain, readCMYKProfile(t), 60000)
}

// TestColourFormatSamplesAreConverted: WebP with an ICC profile, HEIC and AVIF with an ICC profile
// and with an nclx box of Display P3, made by cwebp and heif-enc from the same photo in
// Display P3 (testdata/colour), come out as the same encoders' sRGB files do.
func TestColourFormatSamplesAreConverted(t *testing.T) {
	if *colourSamples != "" {
		writeColourSources(t, *colourSamples)
		return
	}
	t.Parallel()
	m := newMaker(t, nil)
	defer m.Close()
	cases := []struct{ srgb, p3 string }{
		{"srgb.webp", "p3-icc.webp"},
		{"srgb.heic", "p3-icc.heic"}, {"srgb.heic", "p3-nclx.heic"},
		{"srgb.avif", "p3-icc.avif"}, {"srgb.avif", "p3-nclx.avif"},
	}
	for _, tc := range cases {
		untagged := colourSample(t, strings.Replace(tc.p3, strings.TrimSuffix(strings.TrimPrefix(tc.p3, "p3-"), filepath.Ext(tc.p3)), "untagged", 1))
		var src []byte
		if strings.Contains(tc.p3, "nclx") {
			src = withNCLX(t, untagged, 12, 13)
		} else {
			src = colourSample(t, tc.p3)
		}
		if f, _ := sniff(src); (f == formatHEIC || f == formatAVIF) && HEIFCodec == "none" {
			continue // refused without libheif (heif_std_test.go)
		}
		want, _ := thumbPixels(t, m, colourSample(t, tc.srgb))
		got, th := thumbPixels(t, m, src)
		before, _ := thumbPixels(t, m, untagged)
		after, was := maxOf(meanAbsError(t, got, want)), maxOf(meanAbsError(t, before, want))
		t.Logf("%s: error %.2f without conversion, %.2f with; %+v", tc.p3, was, after, th.Colour)
		if !th.Colour.Converted || after > 4 || after >= was {
			t.Errorf("%s: %.2f from %s's thumbnail, %.2f untagged (%+v)", tc.p3, after, tc.srgb, was, th.Colour)
		}
	}
}

// withNCLX returns a HEIF file with its primary image's colour properties replaced by an nclx
// box of those primaries and transfer characteristics (BT.601 matrix, full range): heif-enc
// 1.15 writes "unspecified" whatever its options say.
func withNCLX(tb testing.TB, src []byte, prim, transfer int) []byte {
	tb.Helper()
	f, err := heiftest.Read(src)
	if err != nil {
		tb.Fatal(err)
	}
	item := &f.Items[f.Primary]
	props := item.Props[:0]
	for _, p := range item.Props {
		if string(p[4:8]) != "colr" {
			props = append(props, p)
		}
	}
	body := binary.BigEndian.AppendUint16([]byte("nclx"), uint16(prim))
	body = binary.BigEndian.AppendUint16(body, uint16(transfer))
	body = binary.BigEndian.AppendUint16(body, 6)
	item.Props = append(props, heiftest.Box("colr", append(body, 0x80)))
	return f.Bytes()
}

// TestColourCMYKProfileIsUsed: a CMYK JPEG with its press profile (made from the photo by Little
// CMS's jpgicc, relative colorimetric with black point compensation, as Photoshop converts)
// comes out close to the sRGB photo with Little CMS; without it the naive conversion stays.
// Close is 6, not 4: a press profile's gamut (SWOP) holds fewer colours than sRGB's, so the
// round trip through CMYK loses the photo's most saturated ones.
func TestColourCMYKProfileIsUsed(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	defer m.Close()
	want := (&worker{}).resize(srgbPhoto(t), 320, 240, true)
	plain := colourSample(t, "cmyk.jpg")
	naive, th := thumbPixels(t, m, plain)
	if th.Colour != (ColourInfo{}) {
		t.Errorf("untagged CMYK: %+v", th.Colour)
	}
	got, th := thumbPixels(t, m, withJPEGProfile(plain, readCMYKProfile(t), 60000))
	after, was := maxOf(meanAbsError(t, got, want)), maxOf(meanAbsError(t, naive, want))
	t.Logf("CMYK: error %.2f with the naive conversion, %.2f with the profile; %+v", was, after, th.Colour)
	if !lcmsBuilt {
		if th.Colour.Converted || !strings.Contains(th.Colour.Ignored, "Little CMS") || !bytes.Equal(got.Pix, naive.Pix) {
			t.Errorf("without Little CMS: %+v, pixels equal: %v", th.Colour, bytes.Equal(got.Pix, naive.Pix))
		}
		return
	}
	if !th.Colour.Converted || after > 6 || after >= was {
		t.Errorf("CMYK with its profile: %.2f from the sRGB photo, naive %.2f (%+v)", after, was, th.Colour)
	}
}

// TestColourEverySizeOfASetIsConverted: with several sizes from one decode, the largest is
// converted and the smaller ones are resized from it: every size must come out converted once,
// never left in the photo's space nor converted twice.
func TestColourEverySizeOfASetIsConverted(t *testing.T) {
	t.Parallel()
	m := newMaker(t, func(c *Config) { c.Sizes = []int{256, 512, 128} })
	defer m.Close()
	w := m.idle.get()
	defer m.idle.put(w)
	photo := srgbPhoto(t)
	enc := photoFormats[0].encode
	want := renderPixels(t, m, w, enc(t, photo, nil))
	for _, p := range rgbTestProfiles(t) {
		converted := toSpace(t, photo, p.icc)
		got := renderPixels(t, m, w, enc(t, converted, p.icc))
		before := renderPixels(t, m, w, enc(t, converted, nil))
		if len(got) != 3 || len(want) != 3 || len(before) != 3 {
			t.Fatalf("%s: %d, %d and %d sizes, want 3 each", p.name, len(got), len(want), len(before))
		}
		for i, box := range m.cfg.Boxes() {
			after, was := maxOf(meanAbsError(t, got[i], want[i])), maxOf(meanAbsError(t, before[i], want[i]))
			t.Logf("%s %d: error %.2f without conversion, %.2f with", p.name, box, was, after)
			if after > p.tol || was < 1.5*after {
				t.Errorf("%s, box %d: %.2f from the sRGB photo's (at most %.1f), %.2f without conversion", p.name, box, after, p.tol, was)
			}
		}
	}
}
