package imaging

import "errors"

// The kinds of failure of [Maker.Make]. Each is wrapped with a detail that says what was found,
// and each is a property of the input: trying the same bytes again gives the same error.
var (
	// ErrUnsupportedFormat: the bytes are not an image we decode (HTML, PDF, a planar TIFF, an
	// arithmetic coded JPEG, HEIC in a build without libheif, a JPEG of more scans or marker
	// segments than the limits, ...).
	ErrUnsupportedFormat = errors.New("unsupported format")
	// ErrTooManyPixels: the header announces more pixels than Config.MaxPixels, or decoding
	// would take more memory than the whole decoding budget (MaxPixels × 12 bytes).
	ErrTooManyPixels = errors.New("image too large")
	// ErrCorrupt: the format is known but the data is truncated or damaged.
	ErrCorrupt = errors.New("corrupt image")
)
