package imaging

import (
	"context"
	"fmt"
	"image"
	"runtime/debug"
	"time"

	"golang.org/x/sync/semaphore"
)

// Maker makes thumbnails with one Config. One Maker may be used from any number of goroutines
// at once; they share its memory budget. Each call works in one goroutine, with a worker (codec
// handles and buffers) that the Maker keeps for the next call: Close frees them.
type Maker struct {
	cfg  Config
	idle workers
	// mem bounds the memory that the sources being decoded and resized may take together:
	// MaxPixels × budgetBytesPerPixel. Each decode reserves its cost (decodeCost) first; one
	// that does not fit waits for others to finish, and one that would need more than the
	// whole budget is refused. Without it, memory would grow with the number of workers
	// times the largest source: four workers on 49 MP PNGs of zeros (50 KB each) took the
	// daemon to 1.5 GB, and 8 on 48 MP progressive JPEGs of 385 KB to 1.1 GB.
	mem    *semaphore.Weighted
	budget int64
	// colours keeps the colour transforms of the profiles seen last (colour.go).
	colours colourCache
}

// New returns a Maker for cfg, or the problems of cfg.
func New(cfg Config) (*Maker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("imaging config: %w", err)
	}
	budget := cfg.MaxPixels * budgetBytesPerPixel
	return &Maker{cfg: cfg, mem: semaphore.NewWeighted(budget), budget: budget}, nil
}

// Close frees the codec handles and buffers that m keeps between calls. A Make after Close still
// works, and frees what it used when it ends.
func (m *Maker) Close() {
	m.idle.close()
	m.colours.close()
}

// Config returns the settings m was made with.
func (m *Maker) Config() Config { return m.cfg }

// Thumbnail is a finished thumbnail and what was learnt making it.
type Thumbnail struct {
	// JPEG holds the encoded thumbnail.
	JPEG []byte
	// Width and Height are the thumbnail's size in pixels.
	Width, Height int
	// SourceWidth and SourceHeight are the source's size in pixels as displayed, that is after
	// its EXIF orientation.
	SourceWidth, SourceHeight int
	// Format is the source's format: "jpeg", "png", "gif", "webp", "bmp", "tiff", "heic" or
	// "avif".
	Format string
	// Orientation is the EXIF orientation (1..8) applied; 1 when the source has none, and for
	// HEIC and AVIF, whose own rotation and mirror libheif applies instead (heif.go).
	Orientation int
	// Colour says what colour space the source declared and whether its pixels were
	// converted to sRGB, which thumbnails always are.
	Colour ColourInfo
	// Decode is the time spent reading the header and decoding the pixels into RGBA; Resize the
	// time spent resizing, orienting and flattening; Encode the time spent encoding the JPEG.
	Decode, Resize, Encode time.Duration
}

// Make turns the bytes of a photo into a JPEG thumbnail that fits in a Size×Size box, upright,
// with transparent areas on white. Every error from bad input wraps ErrUnsupportedFormat,
// ErrTooManyPixels or ErrCorrupt, and comes back the same for the same bytes. The one error
// that depends on the machine, a decode stopped by Config.DecodeTimeout, wraps
// context.DeadlineExceeded instead: it is worth another try.
func (m *Maker) Make(src []byte) (Thumbnail, error) {
	w := m.idle.get()
	defer m.idle.put(w)
	t, small, err := m.render(w, src)
	if err != nil {
		return Thumbnail{}, err
	}
	start := time.Now()
	if t.JPEG, err = w.codec.encodeJPEG(small, m.cfg.Quality); err != nil {
		return Thumbnail{}, err
	}
	t.Encode = time.Since(start)
	return t, nil
}

// render does all of Make but the encoding, with w: it returns the thumbnail's pixels, opaque,
// in w's buffers, and the Thumbnail without its JPEG.
func (m *Maker) render(w *worker, src []byte) (Thumbnail, *image.RGBA, error) {
	start := time.Now()
	f, err := sniff(src)
	if err != nil {
		return Thumbnail{}, nil, err
	}
	j, err := inspect(f, src)
	if err != nil {
		return Thumbnail{}, nil, err
	}
	hdr, err := readHeader(f, src)
	if err != nil {
		return Thumbnail{}, nil, err
	}
	if err := m.checkPixels(storedSize(f, src, hdr)); err != nil {
		return Thumbnail{}, nil, err
	}
	t := Thumbnail{Format: string(f), Orientation: orientation(f, src)}
	t.SourceWidth, t.SourceHeight = hdr.Width, hdr.Height
	if swapsAxes(t.Orientation) {
		t.SourceWidth, t.SourceHeight = hdr.Height, hdr.Width
	}
	t.Width, t.Height = fit(t.SourceWidth, t.SourceHeight, m.cfg.Size)
	// Resizing comes before orienting, so it works in stored axes.
	need := image.Pt(t.Width, t.Height)
	if swapsAxes(t.Orientation) {
		need = image.Pt(t.Height, t.Width)
	}

	stored := image.Pt(hdr.Width, hdr.Height)
	colour := m.colours.find(f, src, j)
	defer colour.release()
	release, err := m.reserve(f, src, j, stored, need, colour.cost())
	if err != nil {
		return Thumbnail{}, nil, err
	}
	defer release()
	colour.prepare()
	w.codec.cmyk = colour.cmyk()
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.DecodeTimeout)
	defer cancel()
	pixels, opaque, err := decodePixels(ctx, &w.codec, f, src, stored, need)
	if err != nil {
		return Thumbnail{}, nil, err
	}
	decoded := time.Now()
	small := w.resize(pixels, need.X, need.Y, opaque)
	small, w.oriented = orient(w.oriented, small, t.Orientation)
	if !opaque {
		flatten(small)
	}
	t.Colour = colour.apply(small)
	t.Decode, t.Resize = decoded.Sub(start), time.Since(decoded)
	return t, small, nil
}

// reserve takes the memory decoding and resizing the source needs from the budget, with extra
// for its colour transform, waiting for other decodes to return theirs, and returns the
// function that gives it back. A source that would need more than the whole budget is refused.
func (m *Maker) reserve(f format, src []byte, j *jpegInfo, stored, need image.Point, extra int64) (func(), error) {
	cost := decodeCost(f, src, j, stored, need) + extra
	if cost > m.budget {
		kind := f.label()
		if j != nil {
			kind = j.kind()
		}
		return nil, fmt.Errorf("%w: decoding this %dx%d %s takes up to %d MB, more than the %d MB all decodes may take together",
			ErrTooManyPixels, stored.X, stored.Y, kind, cost/1e6, m.budget/1e6)
	}
	// Acquire ends only with the context, and this one never ends: a source waits its turn.
	_ = m.mem.Acquire(context.Background(), cost)
	return func() {
		if cost >= returnToOSAbove && goDecoder(f) {
			returnToOS()
		}
		m.mem.Release(cost)
	}, nil
}

// returnToOSAbove is the cost of a Go decode after which the memory it freed is given back to
// the system before its share of the budget is: a decode that large takes 100 ms or more, a
// collection and scavenge ~10 ms.
const returnToOSAbove = 64 << 20

// returnToOS collects the garbage of a Go decode and gives the freed pages back to the
// system. The Go runtime keeps freed heap pages resident for its own reuse, but the decode
// that takes the budget next may be libjpeg-turbo's, whose C memory cannot reuse them: ~400 MB
// of a 16-bit TIFF's freed buffers stayed resident while 48 MP progressive JPEGs took the
// budget again, 860 MB in all against a budget of 600.
func returnToOS() { debug.FreeOSMemory() }

// goDecoder reports whether a source of format f is decoded in Go memory; libjpeg-turbo's and
// libheif's buffers are C memory, which they free themselves.
func goDecoder(f format) bool {
	return !(f == formatJPEG && jpegDirectRGBA) && f != formatHEIC && f != formatAVIF
}

// checkPixels refuses sources larger than MaxPixels, before any memory is spent on them.
func (m *Maker) checkPixels(w, h int) error {
	if n := int64(w) * int64(h); n > m.cfg.MaxPixels {
		return fmt.Errorf("%w: %dx%d is %d pixels (%.1f MP), more than the limit of %d (%.1f MP)",
			ErrTooManyPixels, w, h, n, float64(n)/1e6, m.cfg.MaxPixels, float64(m.cfg.MaxPixels)/1e6)
	}
	return nil
}
