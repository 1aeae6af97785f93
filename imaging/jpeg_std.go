//go:build !turbojpeg

package imaging

import (
	"bytes"
	"image"
	"image/jpeg"
)

// decodeJPEG is the only place JPEG pixels are decoded, so that a libjpeg-turbo build (tag
// turbojpeg) can replace this file. Such a decoder may scale by 1/2, 1/4 or 1/8 while decoding
// and return any size down to atLeast (the pixels the thumbnail needs); the caller resizes
// whatever it gets. Go's decoder cannot scale, so this one always returns the full size.
func decodeJPEG(data []byte, atLeast image.Point) (image.Image, error) {
	_ = atLeast
	return jpeg.Decode(bytes.NewReader(data))
}
