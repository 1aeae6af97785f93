package imaging

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

func TestTIFFOrientation(t *testing.T) {
	t.Parallel()
	le, be := binary.LittleEndian, binary.BigEndian
	edit := func(order binary.ByteOrder, o uint16, change func(b []byte)) []byte {
		b := exifBlock(order, o)
		change(b)
		return b
	}
	const orientEntry = 22 // offset of the orientation entry in exifBlock
	tests := []struct {
		name string
		tiff []byte
		want int
	}{
		{name: "nil", tiff: nil, want: 1},
		{name: "short header", tiff: []byte("II*\x00\x08\x00"), want: 1},
		{name: "unknown byte order", tiff: edit(le, 6, func(b []byte) { copy(b, "IM") }), want: 1},
		{name: "BigTIFF magic", tiff: edit(le, 6, func(b []byte) { b[2] = 43 }), want: 1},
		{name: "IFD offset past the end", tiff: edit(le, 6, func(b []byte) { le.PutUint32(b[4:], 1<<31) }), want: 1},
		{name: "IFD offset inside the header", tiff: edit(le, 6, func(b []byte) { le.PutUint32(b[4:], 0) }), want: 1},
		{name: "entry count larger than the data", tiff: edit(be, 6, func(b []byte) { be.PutUint16(b[8:], 0xffff) }), want: 6},
		{name: "truncated before the orientation entry", tiff: exifBlock(le, 6)[:orientEntry+6], want: 1},
		{name: "orientation 0", tiff: exifBlock(le, 0), want: 1},
		{name: "orientation 9", tiff: exifBlock(be, 9), want: 1},
		{name: "orientation 65535", tiff: exifBlock(le, 0xffff), want: 1},
		{name: "type LONG", tiff: edit(le, 0, func(b []byte) {
			le.PutUint16(b[orientEntry+2:], typeLong)
			le.PutUint32(b[orientEntry+8:], 8)
		}), want: 8},
		{name: "type LONG big-endian", tiff: edit(be, 0, func(b []byte) {
			be.PutUint16(b[orientEntry+2:], typeLong)
			be.PutUint32(b[orientEntry+8:], 3)
		}), want: 3},
		{name: "type ASCII", tiff: edit(le, 6, func(b []byte) { le.PutUint16(b[orientEntry+2:], 2) }), want: 1},
		{name: "count 2", tiff: edit(le, 6, func(b []byte) { le.PutUint32(b[orientEntry+4:], 2) }), want: 1},
		{name: "count 0", tiff: edit(be, 6, func(b []byte) { be.PutUint32(b[orientEntry+4:], 0) }), want: 1},
		{name: "no orientation tag", tiff: edit(le, 6, func(b []byte) { le.PutUint16(b[orientEntry:], 0x0110) }), want: 1},
	}
	for o := range 8 {
		for _, order := range []binary.ByteOrder{le, be} {
			tests = append(tests, struct {
				name string
				tiff []byte
				want int
			}{name: fmt.Sprintf("%s %d", order, o+1), tiff: exifBlock(order, uint16(o+1)), want: o + 1})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tiffOrientation(tc.tiff); got != tc.want {
				t.Errorf("tiffOrientation = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestJPEGExif(t *testing.T) {
	t.Parallel()
	base := encodeJPEGTest(t, quadrants(16, 16, upright))
	exif6 := exifBlock(binary.BigEndian, 6)
	xmp := segment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x/>"))
	tests := []struct {
		name string
		jpeg []byte
		want int
	}{
		{name: "no EXIF", jpeg: base, want: 1},
		{name: "EXIF", jpeg: withJPEGExif(base, exif6), want: 6},
		{name: "EXIF after an XMP APP1", jpeg: insertAfterSOI(withJPEGExif(base, exif6), xmp), want: 6},
		{name: "fill bytes before a marker", jpeg: insertAfterSOI(withJPEGExif(base, exif6), []byte{0xff, 0xff}), want: 6},
		{name: "segment longer than the file", jpeg: withJPEGExif(base, exif6)[:30], want: 1},
		{name: "segment length below 2", jpeg: []byte("\xff\xd8\xff\xe1\x00\x01Exif\x00\x00II*\x00"), want: 1},
		{name: "APP1 of another kind", jpeg: insertAfterSOI(base, segment(0xe1, append([]byte("Exif\x00\x01"), exif6...))), want: 1},
		{name: "EXIF after start of scan is not metadata", jpeg: []byte("\xff\xd8\xff\xda\x00\x02" + "\xff\xe1\x00\x2c" + exifHeader + string(exif6)), want: 1},
		{name: "garbage between segments", jpeg: []byte("\xff\xd8\x00\x00\xff\xe1"), want: 1},
		{name: "SOI only", jpeg: []byte("\xff\xd8"), want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := orientation(formatJPEG, tc.jpeg); got != tc.want {
				t.Errorf("orientation = %d, want %d", got, tc.want)
			}
		})
	}
}

// segment builds a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

func insertAfterSOI(jpg, segment []byte) []byte {
	return append(append(append([]byte{}, jpg[:2]...), segment...), jpg[2:]...)
}

func TestContainerExif(t *testing.T) {
	t.Parallel()
	exif6 := exifBlock(binary.LittleEndian, 6)
	riff := func(chunks ...string) []byte {
		body := "WEBP" + strings.Join(chunks, "")
		b := []byte("RIFF\x00\x00\x00\x00" + body)
		binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
		return b
	}
	chunk := func(fourcc string, payload []byte) string {
		c := fourcc + string(binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))) + string(payload)
		if len(payload)%2 == 1 {
			c += "\x00"
		}
		return c
	}
	pngFile := encodePNG(t, quadrants(8, 8, upright))
	tests := []struct {
		name   string
		format format
		data   []byte
		want   int
	}{
		{name: "webp sample", format: formatWebP, data: readTestdata(t, "orient6.webp"), want: 6},
		{name: "webp no EXIF", format: formatWebP, data: readTestdata(t, "lossy.webp"), want: 1},
		{name: "webp EXIF after an odd-sized chunk", format: formatWebP, data: riff(chunk("ICCP", []byte("abc")), chunk("EXIF", exif6)), want: 6},
		{name: "webp EXIF with JPEG prefix", format: formatWebP, data: riff(chunk("EXIF", append([]byte(exifHeader), exif6...))), want: 6},
		{name: "webp chunk larger than the file", format: formatWebP, data: riff(chunk("EXIF", exif6))[:30], want: 1},
		{name: "tiff sample", format: formatTIFF, data: readTestdata(t, "orient6.tif"), want: 6},
		{name: "tiff without orientation", format: formatTIFF, data: encodeTIFF(t, quadrants(8, 8, upright)), want: 1},
		{name: "png eXIf", format: formatPNG, data: withPNGExif(pngFile, exif6), want: 6},
		{name: "png no eXIf", format: formatPNG, data: pngFile, want: 1},
		{name: "png eXIf cut short", format: formatPNG, data: withPNGExif(pngFile, exif6)[:50], want: 1},
		{name: "gif has no EXIF", format: formatGIF, data: []byte("GIF89a"), want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := orientation(tc.format, tc.data); got != tc.want {
				t.Errorf("orientation = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCorpusOrientation reads the orientation of every test photo (testdata/photos), whose
// values were checked with exiftool.
func TestCorpusOrientation(t *testing.T) {
	t.Parallel()
	want := map[string]int{"camera-2048x1536-orient6.jpg": 6, "orientation/Landscape_0.jpg": 1, "orientation/Portrait_0.jpg": 1}
	for n := 1; n <= 8; n++ {
		want[fmt.Sprintf("orientation/Landscape_%d.jpg", n)] = n
		want[fmt.Sprintf("orientation/Portrait_%d.jpg", n)] = n
	}
	for _, name := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w, ok := want[name]
			if !ok {
				w = 1
			}
			if got := orientation(formatJPEG, testphotos.Read(t, name)); got != w {
				t.Errorf("orientation = %d, want %d", got, w)
			}
		})
	}
}

// FuzzOrientation feeds any bytes to the EXIF reader of every container: it must answer 1..8
// without panicking or looping.
func FuzzOrientation(f *testing.F) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := range uint16(10) {
			f.Add(exifBlock(order, o))
		}
	}
	jpg := withJPEGExif(encodeJPEGTest(f, quadrants(8, 8, upright)), exifBlock(binary.BigEndian, 6))
	f.Add(jpg)
	f.Add(jpg[:40])
	f.Add(readTestdata(f, "small-canon40d.jpg")[:2048])
	f.Add(readTestdata(f, "orient6.webp"))
	f.Add(readTestdata(f, "orient6.tif")[:512])
	f.Add(withPNGExif(encodePNG(f, quadrants(8, 8, upright)), exifBlock(binary.LittleEndian, 3)))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x01"))
	f.Add([]byte("II*\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(what string, o int) {
			if o < 1 || o > 8 {
				t.Fatalf("%s orientation = %d, want 1..8", what, o)
			}
		}
		check("tiff", tiffOrientation(data))
		for _, f := range []format{formatJPEG, formatTIFF, formatWebP, formatPNG} {
			check(string(f), orientation(f, data))
		}
		// Reach the container parsers even when the fuzzer has not found their magic numbers.
		check("jpeg", orientation(formatJPEG, append([]byte("\xff\xd8"), data...)))
		check("webp", orientation(formatWebP, append([]byte("RIFF\x00\x00\x00\x00WEBP"), data...)))
		check("png", orientation(formatPNG, append([]byte("\x89PNG\r\n\x1a\n"), data...)))
	})
}

// corpus lists every test photo (testdata/photos), as names for testphotos.
func corpus(tb testing.TB) []string {
	tb.Helper()
	dir := os.DirFS(testphotos.Dir(tb))
	var names []string
	for _, pattern := range []string{"*.jpg", "invalid/*.jpg", "orientation/*.jpg"} {
		matches, err := fs.Glob(dir, pattern)
		if err != nil {
			tb.Fatal(err)
		}
		names = append(names, matches...)
	}
	if len(names) < 30 {
		tb.Fatalf("only %d photos found in %s", len(names), testphotos.Dir(tb))
	}
	return names
}
