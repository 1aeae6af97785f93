package imaging

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/photoproc/photoproc/internal/field"
)

// Config sets the sizes, formats and quality of thumbnails and the safety limit on sources.
type Config struct {
	// Size is the edge of the square box, in pixels, that a thumbnail must fit in, when Sizes
	// is empty. Default 320 (PHOTOPROC_THUMBNAIL_SIZE); 1..MaxSize.
	Size int
	// Sizes are the boxes thumbnails are made for, in pixels, all from one decode; the first
	// is the primary thumbnail's. Default empty: the one box Size (PHOTOPROC_THUMBNAIL_SIZES);
	// 1 to MaxSizes boxes of 1..MaxSize, none twice. Boxes says which are used.
	Sizes []int
	// Formats are the encodings every size is made in: JPEG, WebP, AVIF. Default [jpeg]
	// (PHOTOPROC_THUMBNAIL_FORMATS). JPEG must be among them: the primary thumbnail is always a
	// JPEG, the one every client can show. WebP and AVIF need a build with their encoders
	// (EncoderSupport).
	Formats []Format
	// Quality is the JPEG quality of thumbnails, 1..100. Default 90 (PHOTOPROC_JPEG_QUALITY).
	Quality int
	// WebPQuality is libwebp's quality of WebP thumbnails, 1..100. Default DefaultWebPQuality
	// (PHOTOPROC_WEBP_QUALITY), chosen to look like JPEG at quality 90 (docs/thumbnail-formats.md).
	WebPQuality int
	// AVIFQuality is the quality of AVIF thumbnails, 1..100, mapped to AV1's quantizer as
	// libavif 1.x and libheif do. Default DefaultAVIFQuality (PHOTOPROC_AVIF_QUALITY), chosen
	// to look like JPEG at quality 90 (docs/thumbnail-formats.md).
	AVIFQuality int
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

// MaxSizes is the most boxes a Config may ask for: each costs a resize and an encode per
// format of every photo, and srcset rarely needs more than three.
const MaxSizes = 8

// Default qualities of WebP and AVIF: those whose thumbnails are as far from the source as
// JPEG's at quality 90, by butteraugli, on the test photos (docs/thumbnail-formats.md).
const (
	DefaultWebPQuality = 90
	DefaultAVIFQuality = 84
)

// DefaultConfig returns the settings the daemon uses when nothing is configured.
func DefaultConfig() Config {
	return Config{
		Size: 320, Formats: []Format{JPEG},
		Quality: 90, WebPQuality: DefaultWebPQuality, AVIFQuality: DefaultAVIFQuality,
		MaxPixels: 50_000_000, DecodeTimeout: time.Minute,
	}
}

// Boxes are the boxes thumbnails are made for: Sizes, or the one box Size. The first is the
// primary thumbnail's.
func (c Config) Boxes() []int {
	if len(c.Sizes) > 0 {
		return c.Sizes
	}
	return []int{c.Size}
}

// Validate reports every field that is out of range, and a format this build cannot encode.
func (c Config) Validate() error {
	errs := []error{field.Range("Size", "thumbnail size", c.Size, 1, MaxSize, "pixels")}
	errs = append(errs, c.validateSizes()...)
	errs = append(errs, c.validateFormats()...)
	errs = append(errs,
		field.Range("Quality", "JPEG quality", c.Quality, 1, 100, ""),
		field.Range("WebPQuality", "WebP quality", c.WebPQuality, 1, 100, ""),
		field.Range("AVIFQuality", "AVIF quality", c.AVIFQuality, 1, 100, ""),
		field.AtLeast("MaxPixels", "max pixels", c.MaxPixels, 1, ""))
	if c.DecodeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("decode timeout %s: must be positive", c.DecodeTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) validateSizes() []error {
	if len(c.Sizes) > MaxSizes {
		return []error{field.Invalid("Sizes", "thumbnail sizes", c.Sizes, "at most %d boxes", MaxSizes)}
	}
	var errs []error
	for i, s := range c.Sizes {
		switch {
		case s < 1 || s > MaxSize:
			errs = append(errs, field.Invalid("Sizes", "thumbnail sizes", c.Sizes, "box %d: must be 1..%d pixels", s, MaxSize))
		case slices.Contains(c.Sizes[:i], s):
			errs = append(errs, field.Invalid("Sizes", "thumbnail sizes", c.Sizes, "box %d given twice", s))
		}
	}
	return errs
}

func (c Config) validateFormats() []error {
	var errs []error
	for i, f := range c.Formats {
		switch {
		case !slices.Contains(formats, f):
			errs = append(errs, field.Invalid("Formats", "thumbnail formats", c.Formats, "%q: want jpeg, webp or avif", f))
		case slices.Contains(c.Formats[:i], f):
			errs = append(errs, field.Invalid("Formats", "thumbnail formats", c.Formats, "%s given twice", f))
		default:
			if err := canEncode(f); err != nil {
				errs = append(errs, field.Invalid("Formats", "thumbnail formats", c.Formats, "%v", err))
			}
		}
	}
	if !slices.Contains(c.Formats, JPEG) {
		errs = append(errs, field.Invalid("Formats", "thumbnail formats", c.Formats, "must include jpeg, the primary thumbnail's format"))
	}
	return errs
}
