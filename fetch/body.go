package fetch

import (
	"fmt"
	"io"
	"net/http"
	"slices"
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
	body, err := readAll(io.LimitReader(resp.Body, limit+1), initialBufferSize(resp.ContentLength, limit), int(limit)+1)
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

// readAll is io.ReadAll with a first capacity and a ceiling on what is read and on growth, so
// a body near the limit never holds a buffer of twice the limit as plain doubling would.
func readAll(r io.Reader, initial, ceiling int) ([]byte, error) {
	buf := make([]byte, 0, initial)
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
