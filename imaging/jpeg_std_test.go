//go:build !cgo || purego

package imaging

import (
	"context"
	"image"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// TestStdDecodesWhole: image/jpeg cannot scale while decoding; the resize does all the work.
func TestStdDecodesWhole(t *testing.T) {
	src := testphotos.Read(t, "camera-1600x1200.jpg")
	stored := image.Pt(1600, 1200)
	img, err := decodeJPEG(context.Background(), src, stored, image.Pt(320, 240))
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
