package imaging

import (
	"image"
	"sync"
)

// worker is what one Make call needs besides its source: the codecs' state (TurboJPEG handles
// and libwebp's encoder with cgo) and the buffers of the resize, kept from one photo to the next
// instead of allocated, zeroed and collected for each. It is not safe for concurrent use: a
// Maker lends each worker to one call at a time.
type worker struct {
	codec codec
	webp  webpEncoder
	avif  avifEncoder
	// Pixel buffers, in the order the picture goes through them: kept holds a size while the
	// next smaller one is resized from it, hashed the ThumbHash's picture.
	decoded, boxed, mid, out, kept, oriented, hashed []uint8
	boxAcc                                           []uint32
	ring, packedRow, packedAcc                       []uint64 // the packed resampler's
	h, v                                             taps
	// decodes counts the sources decoded, for the tests that check a set takes one.
	decodes int
}

// maxKeptBuffer is the largest buffer a worker keeps between photos: enough for every stage of
// a 50 MP JPEG decoded at 1/8 (~3 MB); the full-size pictures of other formats are left to the
// garbage collector rather than held by idle workers.
const maxKeptBuffer = 4 << 20

// release drops the buffers too large to keep: those over maxKeptBuffer, but for the ones that
// hold a thumbnail, kept up to keepThumbs bytes (the largest thumbnail's RGBA).
func (w *worker) release(keepThumbs int) {
	w.codec.release()
	for _, b := range []*[]uint8{&w.decoded, &w.boxed, &w.mid, &w.out, &w.kept, &w.oriented, &w.hashed} {
		if cap(*b) > max(maxKeptBuffer, keepThumbs) {
			*b = nil
		}
	}
	if 4*cap(w.boxAcc) > maxKeptBuffer {
		w.boxAcc = nil
	}
	for _, b := range []*[]uint64{&w.ring, &w.packedRow, &w.packedAcc} {
		if 8*cap(*b) > maxKeptBuffer {
			*b = nil
		}
	}
}

// resize scales src to w×h: a box reduction by an integer factor while the picture is more than
// twice the thumbnail (what Pillow's reducing_gap and libvips' shrink do), then Lanczos-3 with
// precomputed weights (resample.go). opaque says every alpha of src is 0xff. The result may be
// src itself, or share the worker's buffers until the next call.
func (wk *worker) resize(src *image.RGBA, w, h int, opaque bool) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw == w && sh == h {
		return src
	}
	if k := min(sw/(2*w), sh/(2*h)); k >= 2 {
		src, wk.boxAcc = reduceBox(wk.boxed, src, k, wk.boxAcc)
		wk.boxed = src.Pix
	}
	return wk.resizeLanczos(src, w, h, opaque)
}

// resizeLanczos scales src to w×h with Lanczos-3 alone: an opaque picture by the packed
// resampler, whose rows stream through both passes (resampleOpaque), one with alpha by two
// passes of four channels, skipping a pass whose axis keeps its size.
func (wk *worker) resizeLanczos(src *image.RGBA, w, h int, opaque bool) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if opaque && sw != w && sh != h {
		wk.h.make(sw, w)
		wk.v.make(sh, h)
		var out *image.RGBA
		out, wk.ring, wk.packedRow, wk.packedAcc = resampleOpaque(wk.out, src, &wk.h, &wk.v, wk.ring, wk.packedRow, wk.packedAcc)
		wk.out = out.Pix
		return out
	}
	if sw != w {
		wk.h.make(sw, w)
		wk.mid = grow(wk.mid, 4*w*sh)
		mid := &image.RGBA{Pix: wk.mid, Stride: 4 * w, Rect: image.Rect(0, 0, w, sh)}
		resampleRows(mid, src, &wk.h, opaque)
		src = mid
	}
	if sh == h {
		return src
	}
	wk.v.make(sh, h)
	wk.out = grow(wk.out, 4*w*h)
	out := &image.RGBA{Pix: wk.out, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	resampleColumns(out, src, &wk.v, opaque)
	return out
}

// maxIdleWorkers bounds the workers a Maker keeps between calls: more than the daemon's
// PHOTOPROC_WORKERS on any usual machine. Past it, a returned worker is closed.
const maxIdleWorkers = 64

// workers is a Maker's free list of workers. Not a sync.Pool: that would drop workers at any
// garbage collection without closing them, leaking their TurboJPEG handles.
type workers struct {
	// keep is the largest thumbnail buffer a worker keeps between photos, in bytes.
	keep   int
	mu     sync.Mutex
	idle   []*worker
	closed bool
}

// get returns an idle worker, or a new one.
func (l *workers) get() *worker {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.idle); n > 0 {
		w := l.idle[n-1]
		l.idle = l.idle[:n-1]
		return w
	}
	return &worker{}
}

// put takes back a worker that get returned, or closes it when the list is full or closed.
func (l *workers) put(w *worker) {
	w.release(l.keep)
	l.mu.Lock()
	if !l.closed && len(l.idle) < maxIdleWorkers {
		l.idle = append(l.idle, w)
		w = nil
	}
	l.mu.Unlock()
	if w != nil {
		w.close()
	}
}

// close frees w's codec handles.
func (w *worker) close() {
	w.codec.close()
	w.webp.close()
	w.avif.close()
}

// close closes the idle workers; those in use are closed when they come back.
func (l *workers) close() {
	l.mu.Lock()
	idle := l.idle
	l.idle, l.closed = nil, true
	l.mu.Unlock()
	for _, w := range idle {
		w.close()
	}
}
