package imaging

import (
	"bytes"
	"context"
)

// deadlineReader hands a source to a Go decoder and fails its reads once ctx is done, so that
// a decoder stops at its next read after the deadline instead of running on. Every Go decoder
// reads as it works: image/jpeg 4 KB at a time, so it stops within a scan; image/png and
// x/image/tiff as they inflate; x/image/webp a chunk at a time. libjpeg-turbo reads from
// memory in C and cannot be stopped (jpeg_turbo.go).
type deadlineReader struct {
	ctx context.Context
	*bytes.Reader
}

func newDeadlineReader(ctx context.Context, data []byte) *deadlineReader {
	return &deadlineReader{ctx: ctx, Reader: bytes.NewReader(data)}
}

func (r *deadlineReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.Reader.Read(p)
}

// ReadAt serves x/image/tiff, which reads strips and tiles at their offsets.
func (r *deadlineReader) ReadAt(p []byte, off int64) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.Reader.ReadAt(p, off)
}
