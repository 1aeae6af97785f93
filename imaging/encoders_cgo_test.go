//go:build cgo && !purego && !nowebp && !noavif

package imaging

import (
	"regexp"
	"testing"
)

// TestCgoEncodesEveryFormat: a cgo build encodes WebP with libwebp and AVIF with libavif's
// AV1 encoder, and says so.
func TestCgoEncodesEveryFormat(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Formats = []Format{WebP, JPEG, AVIF}
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^JPEG libjpeg-turbo, WebP libwebp \d+\.\d+\.\d+, AVIF libavif \S+ \(aom speed \d+\)$`)
	if got := EncoderSupport(); !want.MatchString(got) {
		t.Errorf("EncoderSupport() = %q, want it to match %s", got, want)
	}
}
