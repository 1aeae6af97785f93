//go:build !cgo || purego

package imaging

import (
	"context"
	"image"
)

// JPEGCodec names the JPEG codec built in: "libjpeg-turbo" with cgo, "image/jpeg" without.
const JPEGCodec = "image/jpeg"

// codec is the JPEG codec's state kept by a worker: none for Go's. cmyk is never set in this
// build, which converts no CMYK profile (lcms_std.go).
type codec struct{ cmyk pixelConverter }

func (*codec) close()   {}
func (*codec) release() {}

// decodeJPEG decodes with Go's decoder, which cannot scale while decoding, so it always returns
// the full size; it stops at ctx's deadline. Builds with cgo use libjpeg-turbo instead
// (jpeg_turbo.go); this one is for CGO_ENABLED=0 or the purego tag: slower, and just as correct.
func (*codec) decodeJPEG(ctx context.Context, data []byte, _, _ image.Point) (image.Image, error) {
	return decodeJPEGStd(ctx, data)
}

// encodeJPEG encodes img with Go's encoder.
func (*codec) encodeJPEG(img *image.RGBA, quality int) ([]byte, error) {
	return encodeJPEGStd(img, quality)
}

// jpegDecodedSize is the size decodeJPEG decodes a JPEG to: the stored size.
func jpegDecodedSize(stored, _ image.Point) image.Point { return stored }

// jpegDirectRGBA: image/jpeg decodes to YCbCr, CMYK or grey, converted to RGBA afterwards.
const jpegDirectRGBA = false
