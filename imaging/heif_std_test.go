//go:build !cgo || purego || noheif

package imaging

import (
	"errors"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// TestMakeHEIFRefused: without libheif every HEIC and AVIF is refused as unsupported, saying
// what it is and what the build lacks, so that a person knows the file is fine.
func TestMakeHEIFRefused(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for _, tc := range []struct {
		name string
		src  []byte
		msg  string
	}{
		{"quad.heic", readTestdata(t, "quad.heic"), "a HEIC image (HEVC, 64x48)"},
		{"alpha.avif", readTestdata(t, "alpha.avif"), "an AVIF image (AV1, 64x48)"},
		{"grid", heifGrid(t, "avif", upright).Bytes(), "an AVIF image (AV1, 128x128)"},
		{"photo", testphotos.Read(t, "heif/Landscape_6.heic"), "a HEIC image (HEVC, 400x600)"},
	} {
		_, err := m.Make(tc.src)
		if !errors.Is(err, ErrUnsupportedFormat) || !strings.Contains(err.Error(), tc.msg) ||
			!strings.Contains(err.Error(), "built without libheif") {
			t.Errorf("%s: %v; want ErrUnsupportedFormat saying %q and built without libheif", tc.name, err, tc.msg)
		}
	}
	if HEIFCodec != "none" || !strings.HasPrefix(HEIFSupport(), "none") {
		t.Errorf("HEIFCodec %q, HEIFSupport %q", HEIFCodec, HEIFSupport())
	}
}
