//go:build !cgo || purego

package imaging

import (
	"context"
	"image"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// qualityMargin is how much further than Pillow's from the whole-photo Lanczos downscale a
// thumbnail may be (TestMakeCloseToLanczos). The pure-Go build gets a full level: image/jpeg's
// encoder always subsamples colour 4:2:0 (most of the difference: the libjpeg-turbo build's own
// pixels encoded by it are 1.3 further away on the 8 MP photo), and Go's decoder cannot shrink
// in the DCT, so a box reduction from the whole photo goes before Lanczos-3. Measured: 0.3 to 0.8
// above Pillow on the 8 MP, wide and 24 MP photos, below it on the others.
const qualityMargin = 1.0

// TestStdDecodesWhole: image/jpeg cannot scale while decoding; the resize does all the work.
func TestStdDecodesWhole(t *testing.T) {
	src := testphotos.Read(t, "camera-1600x1200.jpg")
	stored := image.Pt(1600, 1200)
	var c codec
	img, err := c.decodeJPEG(context.Background(), src, stored, image.Pt(320, 240))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != stored {
		t.Errorf("decoded %v, want %v", got, stored)
	}
	if JPEGCodec != "image/jpeg" {
		t.Errorf("JPEGCodec = %q", JPEGCodec)
	}
}
