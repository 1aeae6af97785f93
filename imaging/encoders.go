package imaging

import (
	"fmt"
	"image"
	"strings"
)

// Thumbnails are encoded by libjpeg-turbo (JPEG), libwebp (WebP) and libavif (AVIF) through
// cgo, each with its state kept by the worker that uses it. Builds without cgo encode JPEG with
// image/jpeg and refuse WebP and AVIF when the Config is validated (webp_std.go, avif_std.go):
// no pure-Go encoder of either is near libwebp's or libavif's size for the look
// (docs/thumbnail-formats.md).

// encode encodes the opaque img in format f at quality (1..100), with w's encoders.
func (w *worker) encode(f Format, img *image.RGBA, quality int) ([]byte, error) {
	switch f {
	case WebP:
		return w.webp.encode(img, quality)
	case AVIF:
		return w.avif.encode(img, quality)
	}
	return w.codec.encodeJPEG(img, quality)
}

// canEncode says why this build cannot encode thumbnails in f, or nil when it can.
func canEncode(f Format) error {
	var err error
	switch f {
	case WebP:
		_, err = webpSupport()
	case AVIF:
		_, err = avifSupport()
	}
	return err
}

// EncoderSupport says what encodes each thumbnail format in this build, for `photoproc
// version` and the daemon's start log: "JPEG libjpeg-turbo, WebP libwebp 1.2.4, AVIF none".
func EncoderSupport() string {
	parts := []string{"JPEG " + JPEGCodec}
	for _, s := range []struct {
		name    string
		support func() (string, error)
	}{{"WebP", webpSupport}, {"AVIF", avifSupport}} {
		what, err := s.support()
		if err != nil {
			what = "none"
		}
		parts = append(parts, s.name+" "+what)
	}
	return strings.Join(parts, ", ")
}

// avifQuantizer maps a quality of 1..100 to AV1's quantizer, 63 (worst) .. 0 (best), as
// libavif 1.x (avifenc -q) and libheif do, so that PHOTOPROC_AVIF_QUALITY means what it means
// to those tools.
func avifQuantizer(quality int) int { return ((100-quality)*63 + 50) / 100 }

// noEncoder words the refusal of a format this build has no encoder for.
func noEncoder(f Format, tag string) error {
	why := "built without cgo"
	if JPEGCodec == "libjpeg-turbo" {
		why = "built with the " + tag + " tag"
	}
	return fmt.Errorf("%s: this build has no %s encoder (%s); use jpeg or a cgo build with %s",
		f, map[Format]string{WebP: "WebP", AVIF: "AVIF"}[f], why, map[Format]string{WebP: "libwebp", AVIF: "libavif"}[f])
}
