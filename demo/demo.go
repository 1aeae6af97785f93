package demo

import (
	"bytes"
	"embed"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed samples/*.jpg
var samples embed.FS

// Photo is one URL the demo queues, and what should become of it.
type Photo struct {
	URL       string
	WantsFail bool // the demo's deliberately broken photos
}

// Server serves the samples on a loopback port.
type Server struct {
	srv  *http.Server
	base string
}

// Start listens on 127.0.0.1 on a free port and serves the samples.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(samples, "samples")
	if err != nil {
		return nil, err
	}
	broken, err := truncated(sub)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /photos/", http.StripPrefix("/photos/", http.FileServerFS(sub)))
	mux.HandleFunc("GET /broken/truncated.jpg", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "truncated.jpg", time.Time{}, bytes.NewReader(broken))
	})
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, base: "http://" + ln.Addr().String()}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Photos lists the URLs to queue: every sample, one truncated JPEG and one missing file.
func (s *Server) Photos() []Photo {
	names, _ := fs.Glob(samples, "samples/*.jpg")
	sort.Strings(names)
	var out []Photo
	for _, n := range names {
		out = append(out, Photo{URL: s.base + "/photos/" + path.Base(n)})
	}
	return append(out,
		Photo{URL: s.base + "/broken/truncated.jpg", WantsFail: true},
		Photo{URL: s.base + "/photos/missing.jpg", WantsFail: true},
	)
}

// Close stops serving.
func (s *Server) Close() error { return s.srv.Close() }

// truncated returns the first half of the largest sample: a JPEG cut off mid-scan.
func truncated(fsys fs.FS) ([]byte, error) {
	var best []byte
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".jpg") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if len(b) > len(best) {
			best = b
		}
		return err
	})
	if len(best) == 0 {
		return nil, errors.New("no samples bundled")
	}
	return best[:len(best)/2], err
}
