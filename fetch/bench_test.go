package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// BenchmarkFetch downloads a 12 MP camera photo over loopback, with and without Content-Length
// (a body this size is sent chunked unless the handler sets it; then there is nothing to
// preallocate from). Allocations per op show the buffer strategy.
func BenchmarkFetch(b *testing.B) {
	photo := testphotos.Read(b, "camera-4032x3024.jpg")
	for _, tc := range []struct {
		name     string
		announce bool
	}{{"content-length", true}, {"chunked", false}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.announce {
					w.Header().Set("Content-Length", strconv.Itoa(len(photo)))
				}
				_, _ = w.Write(photo)
			}))
			defer srv.Close()
			f, err := newFetcher(privateConfig())
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.SetBytes(int64(len(photo)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Fetch(context.Background(), srv.URL); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
