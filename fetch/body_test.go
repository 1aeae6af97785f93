package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// sizedServer serves n bytes, announcing Content-Length or streaming chunked without it.
func sizedServer(t *testing.T, n int, announce bool) string {
	t.Helper()
	body := bytes.Repeat([]byte{0xAB}, n)
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if announce {
			w.Header().Set("Content-Length", strconv.Itoa(n))
			_, _ = w.Write(body)
			return
		}
		// Flushing before the end forces chunked encoding: the size is known only by reading.
		for chunk := range slicesChunk(body, 1000) {
			_, _ = w.Write(chunk)
			http.NewResponseController(w).Flush()
		}
	})).URL
}

func slicesChunk(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

func TestFetchMaxBytes(t *testing.T) {
	t.Parallel()
	const limit = 10_000
	tests := []struct {
		name     string
		size     int
		announce bool
		wantMsg  string // "" = body returned whole
	}{
		{"under, Content-Length", limit - 1, true, ""},
		{"exactly, Content-Length", limit, true, ""},
		{"over, Content-Length", limit + 1, true, "too large: Content-Length is 10001 bytes, the limit is 10000 bytes"},
		{"far over, Content-Length", 100 * limit, true, "too large: Content-Length is 1000000 bytes"},
		{"under, chunked", limit - 1, false, ""},
		{"exactly, chunked", limit, false, ""},
		{"over, chunked", limit + 1, false, "too large: body is larger than the limit of 10000 bytes"},
		{"far over, chunked", 100 * limit, false, "too large: body is larger than"},
		{"empty", 0, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := privateConfig()
			cfg.MaxBytes = limit
			f := newFetcherT(t, cfg)
			body, err := f.Fetch(context.Background(), sizedServer(t, tt.size, tt.announce))
			if tt.wantMsg == "" {
				if err != nil || len(body) != tt.size {
					t.Fatalf("Fetch = %d bytes, %v; want %d bytes", len(body), err, tt.size)
				}
				return
			}
			wantErrIs(t, err, ErrTooLarge)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if !Permanent(err) {
				t.Errorf("Permanent(%v) = false", err)
			}
		})
	}
}

// The limit is on the bytes handed to the caller, so a small compressed body that inflates past
// it (a gzip bomb) is refused.
func TestFetchMaxBytesAppliesAfterDecompression(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(make([]byte, 1<<20))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(gz.Len()))
		_, _ = w.Write(gz.Bytes())
	}))
	cfg := privateConfig()
	cfg.MaxBytes = 64 << 10
	_, err := newFetcherT(t, cfg).Fetch(context.Background(), srv.URL)
	wantErrIs(t, err, ErrTooLarge)
}

func TestReadAll(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789"), 1000)
	tests := []struct {
		name             string
		n, initial, ceil int
		wantLen          int
	}{
		{"exact capacity hint", 10_000, 10_001, 10_001, 10_000},
		{"hint too small grows", 10_000, 1, 20_000, 10_000},
		{"zero hint", 10_000, 0, 20_000, 10_000},
		{"stops at ceiling", 10_000, 1, 5_000, 5_000},
		{"empty", 0, 1, 10, 0},
	}
	for _, tt := range tests {
		got, err := readAll(bytes.NewReader(data[:tt.n]), make([]byte, 0, tt.initial), tt.ceil)
		if err != nil || len(got) != tt.wantLen || !bytes.Equal(got, data[:tt.wantLen]) {
			t.Errorf("%s: readAll = %d bytes, %v; want the first %d", tt.name, len(got), err, tt.wantLen)
		}
		// Growth stops at the ceiling, give or take the allocator's rounding.
		if limit := max(tt.initial, tt.ceil+tt.ceil/8); cap(got) > limit {
			t.Errorf("%s: capacity %d, want at most %d", tt.name, cap(got), limit)
		}
	}
}

// TestReleasedBodiesAreReused: a released body's array serves the next download that fits in
// it; one too large to keep idle, or past the count kept, is left to the garbage collector.
func TestReleasedBodiesAreReused(t *testing.T) {
	t.Parallel()
	var b bodies
	kept := make([]byte, 10, 100)
	b.put(kept)
	if got := b.get(200); cap(got) != 200 || len(got) != 0 {
		t.Fatalf("get(200) = len %d cap %d, want a new empty buffer of 200", len(got), cap(got))
	}
	got := b.get(50)
	if len(got) != 0 || cap(got) != 100 || &got[:1][0] != &kept[0] {
		t.Fatalf("get(50) = len %d cap %d, want the released buffer, emptied", len(got), cap(got))
	}
	if got := b.get(50); &got[:1][0] == &kept[0] {
		t.Fatal("a released buffer was handed out twice")
	}
	b.put(make([]byte, 0, maxKeptBodyBytes+1))
	for range maxKeptBodies + 3 {
		b.put(make([]byte, 0, 10))
	}
	if len(b.free) != maxKeptBodies {
		t.Fatalf("%d buffers kept, want %d", len(b.free), maxKeptBodies)
	}
	for _, buf := range b.free {
		if cap(buf) > maxKeptBodyBytes {
			t.Fatal("kept a buffer over the size limit")
		}
	}
}
