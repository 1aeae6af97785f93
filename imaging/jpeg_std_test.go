//go:build !cgo || purego

package imaging

import (
	"image"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// TestStdDecodesWhole: image/jpeg cannot scale while decoding; the resize does all the work.
func TestStdDecodesWhole(t *testing.T) {
	src := testphotos.Read(t, "camera-1600x1200.jpg")
	stored := image.Pt(1600, 1200)
	var c codec
	img, err := c.decodeJPEG(src, stored, image.Pt(320, 240))
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
