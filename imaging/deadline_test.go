package imaging

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"
)

// TestDecodeStopsAtTheDeadline: a Go decoder whose deadline has passed stops at its next read,
// with an error that is none of the permanent kinds (the same photo may decode on a less busy
// machine). libjpeg-turbo cannot be stopped: it finishes.
func TestDecodeStopsAtTheDeadline(t *testing.T) {
	t.Parallel()
	pic := quadrants(200, 100, upright)
	passed, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	for _, tc := range []struct {
		name string
		f    format
		src  []byte
	}{
		{"png", formatPNG, encodePNG(t, pic)},
		{"gif", formatGIF, encodeGIF(t, paletted(pic, false))},
		{"bmp", formatBMP, encodeBMP(t, pic)},
		{"tiff", formatTIFF, encodeTIFF(t, pic)},
		{"webp", formatWebP, readTestdata(t, "lossy.webp")},
		{"jpeg", formatJPEG, encodeJPEGTest(t, pic)},
	} {
		hdr, err := readHeader(tc.f, tc.src)
		if err != nil {
			t.Fatal(err)
		}
		size := image.Pt(hdr.Width, hdr.Height)
		var c codec
		_, _, err = decodePixels(passed, &c, tc.f, tc.src, size, size)
		c.close()
		if tc.f == formatJPEG && JPEGCodec == "libjpeg-turbo" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("%s: %v, want a deadline error", tc.name, err)
		}
	}
}
