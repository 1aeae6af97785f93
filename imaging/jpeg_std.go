//go:build !cgo || purego

package imaging

import (
	"context"
	"image"
)

// JPEGCodec names the JPEG codec built in: "libjpeg-turbo" with cgo, "image/jpeg" without.
const JPEGCodec = "image/jpeg"

// decodeJPEG decodes with Go's decoder, which cannot scale while decoding, so it always returns
// the full size. Builds with cgo use libjpeg-turbo instead (jpeg_turbo.go); this one is for
// CGO_ENABLED=0 or the purego tag: slower, and just as correct.
func decodeJPEG(ctx context.Context, data []byte, _, _ image.Point) (image.Image, error) {
	return decodeJPEGStd(ctx, data)
}

// encodeJPEG encodes img with Go's encoder.
func encodeJPEG(img *image.RGBA, quality int) ([]byte, error) {
	return encodeJPEGStd(img, quality)
}

// jpegDecodedSize is the size decodeJPEG decodes a JPEG to: the stored size.
func jpegDecodedSize(stored, _ image.Point) image.Point { return stored }

// jpegDirectRGBA: image/jpeg decodes to YCbCr, CMYK or grey, converted to RGBA afterwards.
const jpegDirectRGBA = false
