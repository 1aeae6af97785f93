package imaging

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"runtime"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

func TestMakeErrors(t *testing.T) {
	t.Parallel()
	photo := testphotos.Read(t, "camera-1600x1200.jpg")
	pngFile := encodePNG(t, quadrants(800, 600, upright))
	gifFile := encodeGIF(t, paletted(quadrants(800, 600, upright), false))
	bmpFile := encodeBMP(t, quadrants(800, 600, upright))
	tiffFile := encodeTIFF(t, quadrants(800, 600, upright))
	webpFile := readTestdata(t, "lossy.webp")
	tests := []struct {
		name string
		src  []byte
		want error
		msg  string // the message must contain this
	}{
		{name: "empty", src: nil, want: ErrUnsupportedFormat, msg: "unsupported format: empty file"},
		{name: "html", src: []byte("<html><head><title>404"), want: ErrUnsupportedFormat, msg: `not an image (starts with "<html>`},
		{name: "arithmetic JPEG", src: readTestdata(t, "arithmetic.jpg"), want: ErrUnsupportedFormat, msg: "arithmetic"},
		{name: "animated WebP", src: animatedWebP(t), want: ErrUnsupportedFormat, msg: "animated WebP"},
		{name: "JPEG cut after SOI", src: photo[:2], want: ErrCorrupt, msg: "truncated JPEG"},
		{name: "JPEG cut in the header", src: photo[:300], want: ErrCorrupt, msg: "truncated JPEG"},
		{name: "JPEG cut at 10%", src: photo[:len(photo)/10], want: ErrCorrupt, msg: "truncated JPEG"},
		{name: "JPEG cut at 50%", src: photo[:len(photo)/2], want: ErrCorrupt, msg: "truncated JPEG"},
		{name: "JPEG cut 10 bytes short", src: photo[:len(photo)-10], want: ErrCorrupt, msg: "truncated JPEG"},
		{name: "JPEG cut mid-scan, end marker added", src: testphotos.Read(t, "corrupted-truncated.jpg"), want: ErrCorrupt, msg: "damaged JPEG data"},
		{name: "PNG cut at 50%", src: pngFile[:len(pngFile)/2], want: ErrCorrupt, msg: "PNG"},
		{name: "PNG signature only", src: pngFile[:8], want: ErrCorrupt, msg: "truncated PNG"},
		{name: "GIF cut at 50%", src: gifFile[:len(gifFile)/2], want: ErrCorrupt, msg: "GIF"},
		{name: "BMP cut at 50%", src: bmpFile[:len(bmpFile)/2], want: ErrCorrupt, msg: "BMP"},
		{name: "TIFF cut at 50%", src: tiffFile[:len(tiffFile)/2], want: ErrCorrupt, msg: "TIFF"},
		{name: "WebP cut at 50%", src: webpFile[:len(webpFile)/2], want: ErrCorrupt, msg: "WebP"},
		{name: "GIF of 0x0 pixels", src: setGIFScreen(gifFile, 0, 0), want: ErrCorrupt, msg: "header says 0x0"},
	}
	m := newMaker(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			th, err := m.Make(tc.src)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Make = %v (%d thumbnails), want %v", err, len(th.Thumbnails), tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not say %q", err, tc.msg)
			}
			if th.Thumbnails != nil {
				t.Errorf("a failed Make returned a thumbnail")
			}
			_, again := m.Make(tc.src)
			if again == nil || again.Error() != err.Error() {
				t.Errorf("second try gave %v, first %v: errors must be deterministic", again, err)
			}
		})
	}
}

// TestMakeRefusesBombs gives each format a tiny file whose header announces billions of pixels.
func TestMakeRefusesBombs(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for _, tc := range bombs(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.Make(tc.src)
			if !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("Make = %v, want ErrTooManyPixels", err)
			}
			for _, want := range []string{tc.dims, "limit of 50000000"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestMakeBombMemory checks that refusing a 30000x30000 PNG costs almost no memory: decoding it
// would take 3.6 GB. It does not call t.Parallel, so no other test allocates meanwhile (the
// parallel tests wait until the sequential ones are done) and the process-wide allocation
// counter measures this test alone.
func TestMakeBombMemory(t *testing.T) {
	m := newMaker(t, nil)
	bomb := pngBomb(t, 30000, 30000)
	if _, err := m.Make(bomb); !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("Make = %v, want ErrTooManyPixels", err)
	}
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_, _ = m.Make(bomb)
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	t.Logf("%d bytes allocated per refusal", perRun)
	if perRun > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes, want < 1 MiB", perRun)
	}
}

type bomb struct {
	name, dims string
	src        []byte
}

func bombs(tb testing.TB) []bomb {
	tb.Helper()
	tiny := quadrants(2, 2, upright)
	jpg := encodeJPEGTest(tb, tiny)
	sof := strings.Index(string(jpg), "\xff\xc0")
	binary.BigEndian.PutUint16(jpg[sof+5:], 60000) // height
	binary.BigEndian.PutUint16(jpg[sof+7:], 60000) // width

	bmpFile := encodeBMP(tb, tiny)
	binary.LittleEndian.PutUint32(bmpFile[18:], 30000)
	binary.LittleEndian.PutUint32(bmpFile[22:], 30000)

	webpFile := append([]byte{}, readTestdata(tb, "orient6.webp")...)
	putUint24(webpFile[24:], 16384-1) // VP8X canvas width − 1
	putUint24(webpFile[27:], 16384-1) // and height − 1

	return []bomb{
		{name: "png", dims: "30000x30000", src: pngBomb(tb, 30000, 30000)},
		{name: "gif", dims: "65535x65535", src: setGIFScreen(encodeGIF(tb, paletted(tiny, false)), 65535, 65535)},
		{name: "jpeg", dims: "60000x60000", src: jpg},
		{name: "bmp", dims: "30000x30000", src: bmpFile},
		{name: "tiff", dims: "65535x65535", src: setTIFFSize(tb, encodeTIFF(tb, tiny), 65535, 65535)},
		{name: "webp", dims: "16384x16384", src: webpFile},
		{name: "just over the limit", dims: "10000x5001", src: pngBomb(tb, 10000, 5001)},
	}
}

// pngBomb is a 1x1 PNG whose header says w×h.
func pngBomb(tb testing.TB, w, h uint32) []byte {
	tb.Helper()
	p := encodePNG(tb, image.NewGray(image.Rect(0, 0, 1, 1)))
	const ihdr = 8 // length, "IHDR", width, height, ..., CRC
	binary.BigEndian.PutUint32(p[ihdr+8:], w)
	binary.BigEndian.PutUint32(p[ihdr+12:], h)
	binary.BigEndian.PutUint32(p[ihdr+8+13:], crc32.ChecksumIEEE(p[ihdr+4:ihdr+8+13]))
	return p
}

func setGIFScreen(gif []byte, w, h uint16) []byte {
	g := append([]byte{}, gif...)
	binary.LittleEndian.PutUint16(g[6:], w)
	binary.LittleEndian.PutUint16(g[8:], h)
	return g
}

// setTIFFSize rewrites the ImageWidth and ImageLength tags of IFD0 of a little-endian TIFF.
func setTIFFSize(tb testing.TB, tiff []byte, w, h uint32) []byte {
	tb.Helper()
	le := binary.LittleEndian
	ifd := le.Uint32(tiff[4:])
	n := int(le.Uint16(tiff[ifd:]))
	found := 0
	for i := range n {
		e := tiff[int(ifd)+2+12*i:]
		v := map[uint16]uint32{256: w, 257: h}
		if size, ok := v[le.Uint16(e)]; ok {
			switch le.Uint16(e[2:]) {
			case typeShort:
				le.PutUint16(e[8:], uint16(size))
			case typeLong:
				le.PutUint32(e[8:], size)
			}
			found++
		}
	}
	if found != 2 {
		tb.Fatalf("TIFF size tags not found")
	}
	return tiff
}

func putUint24(b []byte, v uint32) {
	b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16)
}

// animatedWebP is a WebP whose VP8X header has the animation flag.
func animatedWebP(tb testing.TB) []byte {
	tb.Helper()
	w := append([]byte{}, readTestdata(tb, "orient6.webp")...)
	w[20] |= 0x02
	return w
}
