package imaging

import (
	"slices"
	"time"
)

// Format is an encoding thumbnails are made in. (The formats photos come in are the
// package's own business: Set.SourceFormat names them.)
type Format string

// The formats thumbnails can be made in.
const (
	JPEG Format = "jpeg"
	WebP Format = "webp"
	AVIF Format = "avif"
)

// formats are the thumbnail formats, in the order a client that takes them all is best served:
// the smallest files first.
var formats = []Format{AVIF, WebP, JPEG}

// Ext is the file name extension of f, without the dot: jpg, webp or avif.
func (f Format) Ext() string {
	if f == JPEG {
		return "jpg"
	}
	return string(f)
}

// MediaType is the MIME type of f: image/jpeg, image/webp or image/avif.
func (f Format) MediaType() string { return "image/" + string(f) }

// Set is what Make returns: every thumbnail the Config asks for, all made from one decode of
// the source, and what was learnt making them.
type Set struct {
	// Thumbnails holds one thumbnail per distinct size and format, in the order of
	// Config.Boxes, then of Config.Formats. A source smaller than some boxes is not enlarged:
	// those boxes share one thumbnail of the source's own size (see Thumbnail.Boxes).
	Thumbnails []Thumbnail
	// ThumbHash is the ThumbHash (evanw.github.io/thumbhash) of the smallest thumbnail: about
	// 25 bytes from which a client paints a blurred placeholder while the thumbnail loads.
	ThumbHash []byte
	// SourceWidth and SourceHeight are the source's size in pixels as displayed, that is after
	// its EXIF orientation.
	SourceWidth, SourceHeight int
	// SourceFormat is the source's format: "jpeg", "png", "gif", "webp", "bmp", "tiff", "heic"
	// or "avif".
	SourceFormat string
	// Orientation is the EXIF orientation (1..8) applied; 1 when the source has none, and for
	// HEIC and AVIF, whose own rotation and mirror libheif applies instead (heif.go).
	Orientation int
	// Colour says what colour space the source declared and whether its pixels were
	// converted to sRGB, which thumbnails always are.
	Colour ColourInfo
	// Decode is the time spent reading the header and decoding the pixels into RGBA; Resize the
	// time spent resizing, orienting and flattening every size (and the ThumbHash); Encode the
	// time spent encoding every thumbnail.
	Decode, Resize, Encode time.Duration
}

// Thumbnail is one encoded thumbnail of a Set.
type Thumbnail struct {
	// Box is the box this thumbnail was made for: the first of Boxes in the order of
	// Config.Boxes. It names the file (<uuid>-<box>.<ext>).
	Box int
	// Boxes are every configured box this thumbnail stands for, in the order of Config.Boxes:
	// [Box] alone, unless the source fits in several boxes, whose thumbnails would all be
	// the source's own size. A client asking for any of them gets this one.
	Boxes []int
	// Format is the encoding of Data.
	Format Format
	// Width and Height are the thumbnail's size in pixels.
	Width, Height int
	// Data holds the encoded thumbnail.
	Data []byte
}

// Primary returns the primary thumbnail: the JPEG of the first box of Config.Boxes, which
// every Set has.
func (s Set) Primary() Thumbnail {
	t, ok := s.Find(s.Thumbnails[0].Box, JPEG)
	if !ok {
		panic("imaging: a Set without its primary JPEG") // Config.Validate requires JPEG
	}
	return t
}

// Find returns the thumbnail in format f that stands for box, and whether there is one.
func (s Set) Find(box int, f Format) (Thumbnail, bool) {
	for _, t := range s.Thumbnails {
		if t.Format == f && slices.Contains(t.Boxes, box) {
			return t, true
		}
	}
	return Thumbnail{}, false
}
