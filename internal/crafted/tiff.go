package crafted

import (
	"bytes"
	"image"
	"image/color"

	"golang.org/x/image/tiff"
)

// DeflateTIFF16 is a w×h TIFF of 16-bit RGBA (8 bytes a pixel) in one deflate-compressed
// strip, as x/image/tiff writes it: red, green, blue and white quarters, flat, so that a
// 3200x3200 picture (82 MB of pixels) compresses to about 80 KB. Its decoder inflates the
// strip into a buffer that doubles as it fills.
func DeflateTIFF16(w, h int) []byte {
	img := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA64(x, y, quarters[2*(2*y/h)+2*x/w])
		}
	}
	var b bytes.Buffer
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		panic(err) // encoding into memory cannot fail
	}
	return b.Bytes()
}

var quarters = [4]color.RGBA64{{0xffff, 0, 0, 0xffff}, {0, 0xffff, 0, 0xffff}, {0, 0, 0xffff, 0xffff}, {0xffff, 0xffff, 0xffff, 0xffff}}
