//go:build !cgo || purego

package imaging

import (
	"strings"
	"testing"
)

// TestPureGoRefusesWebPAndAVIF: a build without cgo has no WebP or AVIF encoder; a Config that
// asks for either is refused when the Maker is made (the daemon's start), naming the format
// and the build, not at the first photo.
func TestPureGoRefusesWebPAndAVIF(t *testing.T) {
	t.Parallel()
	for f, want := range map[Format]string{
		WebP: "webp: this build has no WebP encoder (built without cgo); use jpeg or a cgo build with libwebp",
		AVIF: "avif: this build has no AVIF encoder (built without cgo); use jpeg or a cgo build with libavif",
	} {
		cfg := DefaultConfig()
		cfg.Formats = []Format{JPEG, f}
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with %s: %v, want %q", f, err, want)
		}
	}
	if got, want := EncoderSupport(), "JPEG image/jpeg, WebP none, AVIF none"; got != want {
		t.Errorf("EncoderSupport() = %q, want %q", got, want)
	}
}
