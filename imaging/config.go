package imaging

import (
	"errors"
	"fmt"
	"time"

	"github.com/photoproc/photoproc/internal/field"
)

// Config sets the size and quality of thumbnails and the safety limit on sources.
type Config struct {
	// Size is the edge of the square box, in pixels, that a thumbnail must fit in.
	// Default 320 (PHOTOPROC_THUMBNAIL_SIZE); 1..MaxSize.
	Size int
	// Quality is the JPEG quality of thumbnails, 1..100. Default 90 (PHOTOPROC_JPEG_QUALITY).
	Quality int
	// MaxPixels is the largest source accepted, in pixels (width × height), checked from the
	// header before any pixel is decoded. Default 50_000_000 (PHOTOPROC_MAX_PIXELS).
	MaxPixels int64
	// DecodeTimeout stops a decode that runs longer, where the decoder allows it: Go's
	// decoders (all but libjpeg-turbo's) are stopped at their next read of the source.
	// libjpeg-turbo cannot be stopped midway; the JPEG structure limits bound its work
	// instead. Default 1 minute: a 48 MP photo decodes in about a second.
	DecodeTimeout time.Duration
}

// MaxSize is the largest thumbnail box: thumbnail sizes are stored as smallint (≤ 32767).
const MaxSize = 16384

// DefaultConfig returns the settings the daemon uses when nothing is configured.
func DefaultConfig() Config {
	return Config{Size: 320, Quality: 90, MaxPixels: 50_000_000, DecodeTimeout: time.Minute}
}

// Validate reports every field that is out of range.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs,
		field.Range("Size", "thumbnail size", c.Size, 1, MaxSize, "pixels"),
		field.Range("Quality", "JPEG quality", c.Quality, 1, 100, ""),
		field.AtLeast("MaxPixels", "max pixels", c.MaxPixels, 1, ""))
	if c.DecodeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("decode timeout %s: must be positive", c.DecodeTimeout))
	}
	return errors.Join(errs...)
}
