//go:build !cgo || purego || nowebp

package imaging

import "image"

// webpEncoder stands in for libwebp's in builds without it: Config.Validate refuses WebP there,
// so encode is never reached.
type webpEncoder struct{}

func (*webpEncoder) encode(*image.RGBA, int) ([]byte, error) { return nil, noEncoder(WebP, "nowebp") }

func (*webpEncoder) close() {}

func webpSupport() (string, error) { return "", noEncoder(WebP, "nowebp") }
