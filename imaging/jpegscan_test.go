package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"reflect"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/internal/crafted"
	"github.com/photoproc/photoproc/internal/testphotos"
)

// progressive is a small progressive JPEG of the quadrant picture (4:2:0, 4 scans).
func progressive(tb testing.TB, o crafted.JPEGOptions) []byte {
	tb.Helper()
	return crafted.ProgressiveJPEG(quadrants(64, 48, upright), o)
}

// insertBefore returns jpg with extra inserted before the first marker m.
func insertBefore(tb testing.TB, jpg []byte, m byte, extra []byte) []byte {
	tb.Helper()
	i := bytes.Index(jpg, []byte{0xff, m})
	if i < 0 {
		tb.Fatalf("no marker %#x", m)
	}
	return append(append(append([]byte{}, jpg[:i]...), extra...), jpg[i:]...)
}

// comments is n COM segments of 4 bytes.
func comments(n int) []byte { return bytes.Repeat([]byte("\xff\xfe\x00\x02"), n) }

func TestInspectJPEG(t *testing.T) {
	t.Parallel()
	yuv420 := []jpegComponent{{1, 2, 2}, {2, 1, 1}, {3, 1, 1}}
	for _, tc := range []struct {
		name string
		src  []byte
		want jpegInfo
	}{
		{"camera baseline", testphotos.Read(t, "camera-1600x1200.jpg"),
			jpegInfo{sof: 0xc0, precision: 8, width: 1600, height: 1200, components: yuv420, scans: 1, firstScan: 3, scanComponents: 3}},
		{"libjpeg progressive", readTestdata(t, "progressive.jpg"),
			jpegInfo{sof: 0xc2, precision: 8, width: 64, height: 48, components: yuv420, scans: 10, firstScan: 3, scanComponents: 14}},
		{"crafted progressive", progressive(t, crafted.JPEGOptions{}),
			jpegInfo{sof: 0xc2, precision: 8, width: 64, height: 48, components: yuv420, scans: 4, firstScan: 3, scanComponents: 6}},
		{"grey", readTestdata(t, "gray.jpg"),
			jpegInfo{sof: 0xc0, precision: 8, width: 64, height: 48, components: []jpegComponent{{1, 1, 1}}, scans: 1, firstScan: 1, scanComponents: 1}},
		// Bytes before the frame header: both decoders skip them, and so must the count of
		// components (it read 0 here, and charged a CMYK JPEG as RGB).
		{"extraneous bytes before SOF", insertBefore(t, progressive(t, crafted.JPEGOptions{}), 0xc2, []byte{0, 0, 0, 0}),
			jpegInfo{sof: 0xc2, precision: 8, width: 64, height: 48, components: yuv420, scans: 4, firstScan: 3, scanComponents: 6}},
		{"fill bytes and restart markers between segments", insertBefore(t, progressive(t, crafted.JPEGOptions{}), 0xc2, []byte("\xff\xff\xff\xd0\xff\x00")),
			jpegInfo{sof: 0xc2, precision: 8, width: 64, height: 48, components: yuv420, scans: 4, firstScan: 3, scanComponents: 6}},
	} {
		got := inspectJPEG(tc.src)
		tc.want.segments, tc.want.complete = got.segments, true
		tc.want.adobe, tc.want.adobeTransform = got.adobe, got.adobeTransform
		if !equalInfo(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		if err := got.check(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for name, transform := range map[string]byte{"cmyk.jpg": 0, "ycck.jpg": 2} {
		j := inspectJPEG(readTestdata(t, name))
		if len(j.components) != 4 || !j.adobe || j.adobeTransform != transform {
			t.Errorf("%s: %d components, Adobe %v transform %d", name, len(j.components), j.adobe, j.adobeTransform)
		}
	}
}

func equalInfo(a, b jpegInfo) bool { return reflect.DeepEqual(a, b) }

// TestJPEGStructureLimits: what the structure limits refuse, before any decoder runs, with the
// same words in both builds; and what they let through.
func TestJPEGStructureLimits(t *testing.T) {
	t.Parallel()
	baseline := encodeJPEGTest(t, quadrants(64, 48, upright))
	sos := bytes.Index(baseline, []byte{0xff, 0xda})
	eoi := len(baseline) - 2
	twelveBit := append([]byte{}, baseline...)
	twelveBit[bytes.Index(twelveBit, []byte{0xff, 0xc0})+4] = 12
	noAdobe := readTestdata(t, "cmyk.jpg")
	app14 := bytes.Index(noAdobe, []byte("\xff\xeeAdobe"))
	noAdobe = append(append([]byte{}, noAdobe[:app14+4]...), noAdobe[app14+5:]...) // "dobe"
	for _, tc := range []struct {
		name string
		src  []byte
		want error
		msg  string // the whole message: both builds must say exactly this
	}{
		{"100 scans", progressive(t, crafted.JPEGOptions{RepeatScan: 96}), nil, ""},
		{"101 scans", progressive(t, crafted.JPEGOptions{RepeatScan: 97}), ErrUnsupportedFormat,
			"unsupported format: a JPEG of more than 100 scans, which is not supported (photos have about a dozen; each scan is another pass over the whole picture)"},
		{"3000 scans", progressive(t, crafted.JPEGOptions{RepeatScan: 2996}), ErrUnsupportedFormat,
			"unsupported format: a JPEG of more than 100 scans, which is not supported (photos have about a dozen; each scan is another pass over the whole picture)"},
		{"990 comments", insertBefore(t, baseline, 0xc0, comments(990)), nil, ""},
		{"1000 comments", insertBefore(t, baseline, 0xc0, comments(1000)), ErrUnsupportedFormat,
			"unsupported format: a JPEG of more than 1000 marker segments, which is not supported (photos have a few dozen)"},
		{"second scan in a sequential JPEG", append(append(append([]byte{}, baseline[:eoi]...), baseline[sos:eoi]...), 0xff, 0xd9), ErrCorrupt,
			"corrupt image: damaged JPEG data (2 scans for 3 components in a sequential JPEG)"},
		{"12-bit", twelveBit, ErrUnsupportedFormat, "unsupported format: 12-bit JPEG, which is not supported"},
		{"4 components, no Adobe marker", noAdobe, ErrUnsupportedFormat,
			"unsupported format: a 4-component JPEG without the Adobe marker that says whether it is CMYK or YCCK, which is not supported"},
		{"no end of image", baseline[:eoi], ErrCorrupt, "corrupt image: truncated JPEG (the data ends before the picture does)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newMaker(t, nil).Make(tc.src)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Make = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || err.Error() != tc.msg {
				t.Fatalf("Make = %v\nwant %s", err, tc.msg)
			}
		})
	}
}

// TestMakeRefusesWhatExceedsTheBudget: a source whose decoding alone would take more than the
// whole memory budget is refused before it is decoded, and takes nothing from the budget.
func TestMakeRefusesWhatExceedsTheBudget(t *testing.T) {
	t.Parallel()
	m := newMaker(t, func(c *Config) { c.MaxPixels = 64 * 48 })
	// 16 bits a channel: 8 bytes a pixel before the RGBA copy, more than 12 in all.
	src := crafted.DeflateTIFF16(64, 48)
	_, err := m.Make(src)
	if !errors.Is(err, ErrTooManyPixels) || !strings.Contains(err.Error(), "decoding this 64x48 TIFF takes up to") {
		t.Fatalf("Make = %v, want ErrTooManyPixels saying the budget is too small", err)
	}
	if !m.mem.TryAcquire(m.budget) {
		t.Fatal("the refused source holds part of the budget")
	}
}

// FuzzInspectJPEG: the walk over a JPEG's markers ends on any input, stops at the limits, and
// what it finds never makes the cost model charge less than the decoded picture.
func FuzzInspectJPEG(f *testing.F) {
	f.Add([]byte("\xff\xd8"))
	f.Add(encodeJPEGTest(f, quadrants(24, 16, upright)))
	f.Add(progressive(f, crafted.JPEGOptions{RepeatScan: 3}))
	f.Add(insertBefore(f, progressive(f, crafted.JPEGOptions{}), 0xc2, []byte("\x00\xff\xff\xd0")))
	f.Add(readTestdata(f, "cmyk.jpg"))
	f.Add(readTestdata(f, "small-canon40d.jpg"))
	f.Fuzz(func(t *testing.T, data []byte) {
		j := inspectJPEG(data)
		if j.scans > maxJPEGScans+1 || j.segments > maxJPEGSegments+1 {
			t.Fatalf("walked past the limits: %d scans, %d segments", j.scans, j.segments)
		}
		_ = j.check()
		size := image.Pt(1+int(binary.BigEndian.Uint16(append(data, 0, 0)[:2])%512), 100)
		px := int64(size.X * size.Y)
		if c := decodeCost(formatJPEG, data, &j, size, image.Pt(1, 1)); c < px*int64(resizeBytes) && !jpegDirectRGBA || c <= 0 {
			t.Fatalf("cost %d for %v", c, size)
		}
	})
}

// TestEighthScans: of libjpeg's standard progression (4:2:0, ten scans), a decode at 1/8 reads
// the DC scans and the first pass of the chroma AC scans (its 2×2 inverse DCT for 4:2:0
// chroma); of a 4:4:4 one only the DC scan. What is left is a whole progressive JPEG. Other
// JPEGs are not for it.
func TestEighthScans(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		src   []byte
		scans int // kept
	}{
		{"libjpeg progressive 4:2:0", readTestdata(t, "progressive.jpg"), 4},
		{"crafted progressive 4:2:0", progressive(t, crafted.JPEGOptions{}), 3},
		{"crafted progressive 4:4:4", progressive(t, crafted.JPEGOptions{Subsampling: "4:4:4"}), 1},
		{"crafted progressive, a scan repeated", progressive(t, crafted.JPEGOptions{RepeatScan: 2}), 3},
	} {
		got, ok := eighthScans(nil, tc.src)
		if !ok {
			t.Errorf("%s: not taken", tc.name)
			continue
		}
		j := inspectJPEG(got)
		if err := j.check(); err != nil || !j.progressive() || j.scans != tc.scans || len(got) >= len(tc.src) {
			t.Errorf("%s: %d bytes of %d, %d scans (want %d), progressive %v, %v", tc.name, len(got), len(tc.src), j.scans, tc.scans, j.progressive(), err)
		}
	}
	for name, src := range map[string][]byte{
		"baseline":  testphotos.Read(t, "camera-1600x1200.jpg"),
		"truncated": readTestdata(t, "progressive.jpg")[:600],
		"not JPEG":  []byte("GIF89a"),
		"no scan":   []byte("\xff\xd8\xff\xd9"),
	} {
		if got, ok := eighthScans(nil, src); ok {
			t.Errorf("%s: taken, %d bytes", name, len(got))
		}
	}
}
