//go:build !cgo || purego || noavif

package imaging

import "image"

// avifEncoder stands in for libavif's in builds without it: Config.Validate refuses AVIF there,
// so encode is never reached.
type avifEncoder struct{}

func (*avifEncoder) encode(*image.RGBA, int) ([]byte, error) { return nil, noEncoder(AVIF, "noavif") }

func (*avifEncoder) close() {}

func avifSupport() (string, error) { return "", noEncoder(AVIF, "noavif") }
