package imaging

import (
	"context"
	"fmt"
	"image"
	"runtime/debug"
	"slices"
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
	m := &Maker{cfg: cfg, mem: semaphore.NewWeighted(budget), budget: budget}
	// Idle workers keep the buffers of the largest thumbnail, up to 16 MB each.
	largest := slices.Max(cfg.Boxes())
	m.idle.keep = min(4*largest*largest, 16<<20)
	return m, nil
}

// Close frees the codec handles and buffers that m keeps between calls. A Make after Close still
// works, and frees what it used when it ends.
func (m *Maker) Close() {
	m.idle.close()
	m.colours.close()
}

// Config returns the settings m was made with.
func (m *Maker) Config() Config { return m.cfg }

// Make turns the bytes of a photo into every thumbnail the Config asks for, each size in each
// format, upright, with transparent areas on white, and the ThumbHash of the smallest, all from
// one decode. Every error from bad input wraps ErrUnsupportedFormat, ErrTooManyPixels or
// ErrCorrupt, and comes back the same for the same bytes. The one error that depends on the
// machine, a decode stopped by Config.DecodeTimeout, wraps context.DeadlineExceeded instead: it
// is worth another try.
func (m *Maker) Make(src []byte) (Set, error) { return m.MakeOnly(src, nil) }

// MakeOnly is Make encoding only the thumbnails want takes (by the boxes each stands for and
// its format; nil takes all): the others are left out of the Set, which may then lack its
// Primary. Every size is still resized, for those made from it and the ThumbHash.
func (m *Maker) MakeOnly(src []byte, want func(boxes []int, f Format) bool) (Set, error) {
	w := m.idle.get()
	defer m.idle.put(w)
	var encode time.Duration
	set, err := m.render(w, src, func(t target, small *image.RGBA) error {
		start := time.Now()
		defer func() { encode += time.Since(start) }()
		for i, f := range m.cfg.Formats {
			if want != nil && !want(t.boxes, f) {
				continue
			}
			data, err := w.encode(f, small, m.quality(f))
			if err != nil {
				return err
			}
			t.out[i] = Thumbnail{Box: t.boxes[0], Boxes: t.boxes, Format: f, Width: small.Rect.Dx(), Height: small.Rect.Dy(), Data: data}
		}
		return nil
	})
	if err != nil {
		return Set{}, err
	}
	set.Encode = encode
	set.Resize -= encode
	set.Thumbnails = slices.DeleteFunc(set.Thumbnails, func(t Thumbnail) bool { return t.Boxes == nil })
	return set, nil
}

// quality is the configured quality of format f.
func (m *Maker) quality(f Format) int {
	switch f {
	case WebP:
		return m.cfg.WebPQuality
	case AVIF:
		return m.cfg.AVIFQuality
	}
	return m.cfg.Quality
}

// target is one distinct size of thumbnail a source gets: the boxes it stands for, its size
// upright and as stored (before orienting), and where its thumbnails go in the Set.
type target struct {
	boxes          []int
	upright, store image.Point
	out            []Thumbnail
}

// targets returns the thumbnail sizes a source shown w×h gets for the boxes of cfg, in the order
// of cfg.Boxes(), with o its orientation. Boxes the source fits in would all get its own size,
// so they share one target; each target holds its slice of thumbs, one per format.
func targets(cfg Config, w, h, o int, thumbs []Thumbnail) []target {
	var ts []target
	for _, box := range cfg.Boxes() {
		size := image.Pt(fit(w, h, box))
		if i := slices.IndexFunc(ts, func(t target) bool { return t.upright == size }); i >= 0 {
			ts[i].boxes = append(ts[i].boxes, box)
			continue
		}
		t := target{boxes: []int{box}, upright: size, store: size}
		if swapsAxes(o) {
			t.store = image.Pt(size.Y, size.X)
		}
		ts = append(ts, t)
	}
	for i := range ts {
		n := len(cfg.Formats)
		ts[i].out = thumbs[i*n : (i+1)*n : (i+1)*n]
	}
	return ts
}

// render decodes src once, at the size its largest thumbnail needs, and calls each with the
// pixels of every thumbnail size, largest first: opaque, upright, in w's buffers until each
// returns. Each smaller size is resized from the one before it (docs/thumbnail-formats.md,
// "Sizes from one decode"). It returns the Set with everything but the encoded thumbnails,
// which each fills in, and the time spent encoding (each's) counted in Resize.
func (m *Maker) render(w *worker, src []byte, each func(target, *image.RGBA) error) (Set, error) {
	start := time.Now()
	f, err := sniff(src)
	if err != nil {
		return Set{}, err
	}
	j, err := inspect(f, src)
	if err != nil {
		return Set{}, err
	}
	hdr, err := readHeader(f, src)
	if err != nil {
		return Set{}, err
	}
	if err := m.checkPixels(storedSize(f, src, hdr)); err != nil {
		return Set{}, err
	}
	s := Set{SourceFormat: string(f), Orientation: orientation(f, src)}
	s.SourceWidth, s.SourceHeight = hdr.Width, hdr.Height
	if swapsAxes(s.Orientation) {
		s.SourceWidth, s.SourceHeight = hdr.Height, hdr.Width
	}
	s.Thumbnails = make([]Thumbnail, len(m.cfg.Boxes())*len(m.cfg.Formats))
	ts := targets(m.cfg, s.SourceWidth, s.SourceHeight, s.Orientation, s.Thumbnails)
	s.Thumbnails = s.Thumbnails[:len(ts)*len(m.cfg.Formats)]
	// Largest first: each is resized from the one before. Resizing comes before orienting, so
	// it works in stored axes.
	slices.SortStableFunc(ts, func(a, b target) int { return b.store.X*b.store.Y - a.store.X*a.store.Y })

	stored := image.Pt(hdr.Width, hdr.Height)
	colour := m.colours.find(f, src, j)
	defer colour.release()
	release, err := m.reserve(f, src, j, stored, ts, colour.cost())
	if err != nil {
		return Set{}, err
	}
	defer release()
	colour.prepare()
	w.codec.cmyk = colour.cmyk()
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.DecodeTimeout)
	defer cancel()
	pixels, opaque, err := decodePixels(ctx, &w.codec, f, src, stored, ts[0].store)
	w.decodes++
	if err != nil {
		return Set{}, err
	}
	decoded := time.Now()
	var small *image.RGBA
	for i, t := range ts {
		small = w.resize(pixels, t.store.X, t.store.Y, opaque)
		if !opaque {
			// Before orienting, so that the next size is resized from opaque pixels.
			flatten(small)
		}
		if i == 0 {
			// On the largest thumbnail, after flattening (a profile describes the colours as
			// shown, on white): every smaller size is resized from converted pixels, so a
			// set converts the pixels of one thumbnail, never of the decode
			// (docs/colour.md, "Where to convert").
			s.Colour = colour.apply(small)
		}
		if i+1 < len(ts) && small != pixels {
			// The next size is resized from this one, and the resize reuses the buffers
			// this one is in.
			small, w.kept = keep(w.kept, small)
		}
		pixels, opaque = small, true
		small, w.oriented = orient(w.oriented, small, s.Orientation)
		if err := each(t, small); err != nil {
			return Set{}, err
		}
	}
	s.ThumbHash = thumbHash(w.placeholder(small))
	s.Decode, s.Resize = decoded.Sub(start), time.Since(decoded)
	return s, nil
}

// keep copies img into buf's array, grown as needed, and returns the copy and the array.
func keep(buf []uint8, img *image.RGBA) (*image.RGBA, []uint8) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	buf = grow(buf, 4*w*h)
	out := &image.RGBA{Pix: buf, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	for y := range h {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], img.Pix[y*img.Stride:y*img.Stride+4*w])
	}
	return out, buf
}

// reserve takes the memory decoding and resizing the source needs from the budget, with extra
// for its colour transform, waiting for other decodes to return theirs, and returns the
// function that gives it back. A source that would need more than the whole budget is refused.
func (m *Maker) reserve(f format, src []byte, j *jpegInfo, stored image.Point, ts []target, extra int64) (func(), error) {
	cost := decodeCost(f, src, j, stored, ts[0].store) + outputsCost(ts, m.cfg.Formats) + extra
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
