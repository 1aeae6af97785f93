//go:build !cgo || purego || noheif

package imaging

import (
	"fmt"
	"image"
)

// HEIFCodec names the HEIF decoder built in: "libheif" with cgo and libheif's header, "none"
// without (CGO_ENABLED=0, or the purego or noheif tag).
const HEIFCodec = "none"

// HEIFSupport says what this build decodes of HEIC and AVIF, for `photoproc version` and the
// daemon's start log.
func HEIFSupport() string { return "none (built without libheif: HEIC and AVIF are refused)" }

// heifShownSize refuses every HEIF file: no decoder in pure Go is good enough to replace
// libheif (ARCHITECTURE.md, HEIF: without cgo), so this build says what it would need.
func heifShownSize(f format, _ []byte, info heifInfo) (image.Point, error) {
	return image.Point{}, heifRefusal(f, info, "this build of photoproc does not decode: it was built without libheif")
}

// decodeHEIF is never reached: heifShownSize refused the file.
func decodeHEIF(f format, _ []byte, _, _ image.Point) (image.Image, error) {
	return nil, fmt.Errorf("%w: %s (built without libheif)", ErrUnsupportedFormat, f.label())
}
