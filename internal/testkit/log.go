package testkit

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Logger returns a logger that writes text lines at level and above to the test's output
// (tb.Output: shown when the test fails or with -v, among the test's own lines) and to each
// of also, such as a Buffer the test asserts on.
func Logger(tb testing.TB, level slog.Level, also ...io.Writer) *slog.Logger {
	w := io.MultiWriter(append([]io.Writer{tb.Output()}, also...)...)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Buffer keeps what is written to it, for assertions on log lines; it is safe for concurrent
// use, as a log destination of goroutines must be. The zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Count is the number of lines written so far that contain every one of parts.
func (b *Buffer) Count(parts ...string) int {
	n := 0
	for line := range strings.Lines(b.String()) {
		if containsAll(line, parts) {
			n++
		}
	}
	return n
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
