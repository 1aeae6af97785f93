package fetch

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
)

// defaultBufferSize is the first allocation for a body of unknown length: most photos are
// larger, but a small start keeps a stream of tiny or failing downloads cheap.
const defaultBufferSize = 64 << 10

// readBody reads at most MaxBytes. Content-Length is only a hint: a larger announced size fails
// before reading, and the limit is enforced on the bytes actually received.
func (f *Fetcher) readBody(resp *http.Response) ([]byte, error) {
	limit := f.cfg.MaxBytes
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: Content-Length is %s, the limit is %s",
			ErrTooLarge, formatBytes(resp.ContentLength), formatBytes(limit))
	}
	// One byte over the limit tells "exactly the limit" from "more".
	buf := f.bodies.get(initialBufferSize(resp.ContentLength, limit))
	body, err := readAll(io.LimitReader(resp.Body, limit+1), buf, int(limit)+1)
	if err != nil {
		return nil, fmt.Errorf("read body (%s received): %w", formatBytes(int64(len(body))), err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: body is larger than the limit of %s", ErrTooLarge, formatBytes(limit))
	}
	return body, nil
}

// initialBufferSize trusts Content-Length up to the limit (already checked), plus one byte so
// the read that sees EOF needs no growth.
func initialBufferSize(contentLength, limit int64) int {
	if contentLength >= 0 && contentLength <= limit {
		return int(contentLength) + 1
	}
	return int(min(limit, defaultBufferSize)) + 1
}

// readAll is io.ReadAll into buf (empty, with a first capacity) with a ceiling on what is read
// and on growth, so a body near the limit never holds a buffer of twice the limit as plain
// doubling would.
func readAll(r io.Reader, buf []byte, ceiling int) ([]byte, error) {
	for len(buf) < ceiling {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(max(cap(buf), 512), ceiling-len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), ceiling)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// Release gives back a body Fetch returned, once the caller is done with it and holds no part
// of it: the next downloads may reuse its memory. A photo's body is megabytes; without reuse
// each download allocates (and zeroes) a new one and the garbage collector runs every few
// photos. Bodies not released are simply collected.
func (f *Fetcher) Release(body []byte) { f.bodies.put(body) }

// Bounds of the bodies a Fetcher keeps for reuse: a few per worker of a usual daemon, and none
// larger than a 24 MP photo usually is, so that idle memory stays small.
const (
	maxKeptBodies    = 8
	maxKeptBodyBytes = 16 << 20
)

// bodies is a Fetcher's free list of released bodies.
type bodies struct {
	mu   sync.Mutex
	free [][]byte
}

// get returns an empty buffer of at least capacity n: a released one when one is large enough.
func (b *bodies) get(n int) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, buf := range b.free {
		if cap(buf) >= n {
			b.free = slices.Delete(b.free, i, i+1)
			return buf[:0]
		}
	}
	return make([]byte, 0, n)
}

// put keeps buf for a later get, unless it is too large or enough are kept.
func (b *bodies) put(buf []byte) {
	if cap(buf) == 0 || cap(buf) > maxKeptBodyBytes {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.free) < maxKeptBodies {
		b.free = append(b.free, buf[:0])
	}
}
