package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/webp"
)

// Colours of the quadrant test picture, top-left, top-right, bottom-left, bottom-right.
var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	white = color.RGBA{255, 255, 255, 255}
	// upright is how every quadrant picture must come out.
	upright = [4]color.RGBA{red, green, blue, white}
)

// newMaker returns a Maker with the default config changed by edit.
func newMaker(tb testing.TB, edit func(*Config)) *Maker {
	tb.Helper()
	cfg := DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return m
}

// made is a Set seen through its primary thumbnail, as most tests look at it.
type made struct {
	Set
	Thumbnail
}

// makeThumb runs Make and fails the test on error; it returns the Set and its primary
// thumbnail decoded.
func makeThumb(tb testing.TB, m *Maker, src []byte) (made, *image.RGBA) {
	tb.Helper()
	set, err := m.Make(src)
	if err != nil {
		tb.Fatalf("Make: %v", err)
	}
	th := made{set, set.Primary()}
	return th, decodeOutput(tb, th.Thumbnail)
}

// decodeOutput decodes a thumbnail, whatever its format, and checks it against the reported
// size.
func decodeOutput(tb testing.TB, th Thumbnail) *image.RGBA {
	tb.Helper()
	img, err := decodeThumbnail(th)
	if err != nil {
		tb.Fatalf("%s thumbnail is not decodable: %v", th.Format, err)
	}
	if got := img.Bounds().Size(); got != image.Pt(th.Width, th.Height) {
		tb.Fatalf("thumbnail JPEG is %v, Thumbnail says %dx%d", got, th.Width, th.Height)
	}
	return rgbaOf(img)
}

func rgbaOf(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// quadrants builds a w×h picture whose quarters have the colours q (TL, TR, BL, BR).
func quadrants(w, h int, q [4]color.RGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := 0
			if x >= w/2 {
				i++
			}
			if y >= h/2 {
				i += 2
			}
			img.SetNRGBA(x, y, color.NRGBA(q[i]))
		}
	}
	return img
}

// checkQuadrants compares the mean colour of the middle of each quarter of img with want,
// within tol per channel. The middle half of each quarter is used, away from the edges where
// JPEG's chroma subsampling and the resize filter blend neighbours.
func checkQuadrants(tb testing.TB, img *image.RGBA, want [4]color.RGBA, tol int) {
	tb.Helper()
	b := img.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	names := [4]string{"top-left", "top-right", "bottom-left", "bottom-right"}
	for i, c := range want {
		x0, y0 := (i%2)*w, (i/2)*h
		r := image.Rect(x0+w/4, y0+h/4, x0+w-w/4, y0+h-h/4)
		got := meanColour(img, r)
		if !near(got, c, tol) {
			tb.Errorf("%s quarter is %v, want %v (±%d)", names[i], got, c, tol)
		}
	}
}

func meanColour(img *image.RGBA, r image.Rectangle) color.RGBA {
	var sum [3]int
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			sum[0] += int(c.R)
			sum[1] += int(c.G)
			sum[2] += int(c.B)
			n++
		}
	}
	n = max(n, 1)
	return color.RGBA{uint8(sum[0] / n), uint8(sum[1] / n), uint8(sum[2] / n), 255}
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) int { return max(int(x)-int(y), int(y)-int(x)) }
	return d(a.R, b.R) <= tol && d(a.G, b.G) <= tol && d(a.B, b.B) <= tol
}

// meanAbsError is the mean absolute difference per channel (R, G, B) of two same-sized pictures,
// in levels of 255.
func meanAbsError(tb testing.TB, a, b *image.RGBA) [3]float64 {
	tb.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		tb.Fatalf("comparing %v with %v", a.Bounds().Size(), b.Bounds().Size())
	}
	var sum [3]float64
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	for y := range h {
		for x := range w {
			i, j := a.PixOffset(x+a.Rect.Min.X, y+a.Rect.Min.Y), b.PixOffset(x+b.Rect.Min.X, y+b.Rect.Min.Y)
			for c := range 3 {
				sum[c] += float64(max(int(a.Pix[i+c])-int(b.Pix[j+c]), int(b.Pix[j+c])-int(a.Pix[i+c])))
			}
		}
	}
	for c := range sum {
		sum[c] /= float64(w * h)
	}
	return sum
}

func maxOf(v [3]float64) float64 { return max(v[0], v[1], v[2]) }

func encodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatalf("encode PNG: %v", err)
	}
	return buf.Bytes()
}

func encodeJPEGTest(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatalf("encode JPEG: %v", err)
	}
	return buf.Bytes()
}

// exifBlock builds a TIFF structure whose IFD0 holds a Make tag and the orientation o.
func exifBlock(order binary.ByteOrder, o uint16) []byte {
	b := make([]byte, 8+2+2*12+4)
	if order == binary.LittleEndian {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	order.PutUint32(b[4:], 8)
	order.PutUint16(b[8:], 2)
	entry := b[10:]
	order.PutUint16(entry[0:], 0x010f) // Make, ASCII, 3 bytes inline
	order.PutUint16(entry[2:], 2)
	order.PutUint32(entry[4:], 3)
	copy(entry[8:], "Go\x00")
	entry = b[22:]
	order.PutUint16(entry[0:], tagOrientation)
	order.PutUint16(entry[2:], typeShort)
	order.PutUint32(entry[4:], 1)
	order.PutUint16(entry[8:], o)
	return b
}

// withJPEGExif inserts an APP1 Exif segment holding tiff right after the SOI of a JPEG.
func withJPEGExif(jpg, tiff []byte) []byte {
	seg := append([]byte("\xff\xe1\x00\x00"+exifHeader), tiff...)
	binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)-2))
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

// withPNGExif inserts an eXIf chunk holding tiff right after the IHDR chunk of a PNG.
func withPNGExif(p, tiff []byte) []byte {
	const afterIHDR = 8 + 8 + 13 + 4
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, tiff...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(append(append([]byte{}, p[:afterIHDR]...), chunk...), p[afterIHDR:]...)
}

// readTestdata returns a file of this package's testdata folder.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decodeThumbnail decodes a thumbnail by its format: JPEG with image/jpeg, WebP with
// x/image/webp (limited-range YCbCr converted as libwebp does), AVIF with libheif through the
// package's own decoder (cgo builds only: others make no AVIF).
func decodeThumbnail(th Thumbnail) (image.Image, error) {
	switch th.Format {
	case WebP:
		img, err := webp.Decode(bytes.NewReader(th.Data))
		if err != nil {
			return nil, err
		}
		if rgba, ok := vp8ToRGBA(img); ok {
			return rgba, nil
		}
		return img, nil
	case AVIF:
		var c codec
		defer c.close()
		size := image.Pt(th.Width, th.Height)
		img, _, err := decodePixels(context.Background(), &c, formatAVIF, th.Data, size, size)
		return img, err
	}
	return jpeg.Decode(bytes.NewReader(th.Data))
}
