package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// flatten puts img on a white background and makes it opaque, because JPEG has no alpha and a
// transparent pixel would come out black. img is premultiplied, so white shows through in
// proportion to the coverage the pixel lacks: c' = c + (255 − a).
func flatten(img *image.RGBA) {
	w := img.Rect.Dx()
	for y := range img.Rect.Dy() {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for i := 0; i < len(row); i += 4 {
			a := row[i+3]
			if a == 0xff {
				continue
			}
			white := 0xff - a
			row[i] = addCapped(row[i], white)
			row[i+1] = addCapped(row[i+1], white)
			row[i+2] = addCapped(row[i+2], white)
			row[i+3] = 0xff
		}
	}
}

// addCapped adds without wrapping: resampling can leave a colour slightly above its alpha.
func addCapped(c, d uint8) uint8 {
	return uint8(min(0xff, uint16(c)+uint16(d)))
}

// encodeJPEGStd encodes img at the given quality (1..100) with Go's encoder, which always
// subsamples colour 4:2:0. Builds with cgo use libjpeg-turbo instead (jpeg_turbo.go).
func encodeJPEGStd(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	// A 320×320 thumbnail at quality 90 is usually 20–40 KB.
	buf.Grow(64 << 10)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}
