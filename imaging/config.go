package imaging

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Config sets the sizes, formats and quality of thumbnails and the safety limit on sources.
type Config struct {
	// Sizes are the boxes thumbnails are made for: the edge, in pixels, of the square each
	// thumbnail must fit in. The first is the primary thumbnail's. Default [320]
	// (PHOTOPROC_THUMBNAIL_SIZES, itself defaulting to PHOTOPROC_THUMBNAIL_SIZE); 1 to MaxSizes
	// boxes of 1..MaxSize, none twice.
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
		Sizes: []int{320}, Formats: []Format{JPEG},
		Quality: 90, WebPQuality: DefaultWebPQuality, AVIFQuality: DefaultAVIFQuality,
		MaxPixels: 50_000_000, DecodeTimeout: time.Minute,
	}
}

// Validate reports every field that is out of range, and a format this build cannot encode.
func (c Config) Validate() error {
	errs := c.validateSizes()
	errs = append(errs, c.validateFormats()...)
	for _, q := range []struct {
		name  string
		value int
	}{{"JPEG", c.Quality}, {"WebP", c.WebPQuality}, {"AVIF", c.AVIFQuality}} {
		if q.value < 1 || q.value > 100 {
			errs = append(errs, fmt.Errorf("%s quality %d: must be 1..100", q.name, q.value))
		}
	}
	if c.MaxPixels < 1 {
		errs = append(errs, fmt.Errorf("max pixels %d: must be at least 1", c.MaxPixels))
	}
	if c.DecodeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("decode timeout %s: must be positive", c.DecodeTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) validateSizes() []error {
	if len(c.Sizes) == 0 || len(c.Sizes) > MaxSizes {
		return []error{fmt.Errorf("thumbnail sizes %v: want 1 to %d boxes", c.Sizes, MaxSizes)}
	}
	var errs []error
	for i, s := range c.Sizes {
		switch {
		case s < 1 || s > MaxSize:
			errs = append(errs, fmt.Errorf("thumbnail size %d: must be 1..%d pixels", s, MaxSize))
		case slices.Contains(c.Sizes[:i], s):
			errs = append(errs, fmt.Errorf("thumbnail size %d: given twice", s))
		}
	}
	return errs
}

func (c Config) validateFormats() []error {
	var errs []error
	for i, f := range c.Formats {
		switch {
		case !slices.Contains(formats, f):
			errs = append(errs, fmt.Errorf("thumbnail format %q: want jpeg, webp or avif", f))
		case slices.Contains(c.Formats[:i], f):
			errs = append(errs, fmt.Errorf("thumbnail format %s: given twice", f))
		default:
			if err := canEncode(f); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if !slices.Contains(c.Formats, JPEG) {
		errs = append(errs, fmt.Errorf("thumbnail formats %v: must include jpeg, the primary thumbnail's format", c.Formats))
	}
	return errs
}
