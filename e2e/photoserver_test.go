package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// photoServer serves the real test photos over HTTP and lets a test make chosen URLs
// misbehave: answer an error status a number of times, or hold the response until released,
// so that a fault can be injected while known photos are in flight. It counts the requests
// for each URL, which is the number of times a daemon downloaded that photo.
type photoServer struct {
	*httptest.Server
	files http.Handler

	mu       sync.Mutex
	made     map[string][]byte // files made by tests, by path
	requests map[string]int    // by request URI
	faults   map[string]*fault // by request URI
	held     map[string]bool   // request URIs that wait for release
	release  chan struct{}     // closed by releaseAll
	waiting  int               // held requests waiting now
}

type fault struct {
	status int
	times  int // how many more requests get status; negative: all of them
}

func newPhotoServer(t *testing.T) *photoServer {
	s := &photoServer{
		files:    http.FileServer(http.Dir(testphotos.Dir(t))),
		made:     map[string][]byte{},
		requests: map[string]int{},
		faults:   map[string]*fault{},
		held:     map[string]bool{},
		release:  make(chan struct{}),
	}
	s.Server = httptest.NewServer(s)
	t.Cleanup(func() {
		s.releaseAll()
		s.Close()
	})
	return s
}

// add serves data at /made/name, beside the test photos, and returns its URL.
func (s *photoServer) add(name string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.made["/made/"+name] = data
	return s.URL + "/made/" + name
}

// batchPhotos are the photos batches are made of: real camera and phone JPEGs of every
// orientation, small enough that a batch takes seconds under the race detector.
var batchPhotos = []string{
	"orientation/Landscape_1.jpg", "orientation/Portrait_6.jpg", "small-canon40d.jpg",
	"invalid/invalid-image01137.jpg", "orientation/Landscape_3.jpg", "camera-1600x1200.jpg",
	"orientation/Portrait_8.jpg", "invalid/invalid-exif-2.jpg", "orientation/Landscape_5.jpg",
	"invalid/invalid-image01980.jpg",
}

// batch returns n URLs of batch photos, each distinct (tag and index in the query, which the
// file server ignores), so that faults and request counts apply to one photo.
func (s *photoServer) batch(tag string, n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/%s?%s=%d", s.URL, batchPhotos[i%len(batchPhotos)], tag, i)
	}
	return urls
}

func (s *photoServer) key(url string) string { return strings.TrimPrefix(url, s.URL) }

// fail makes the next times requests for url answer status (every request when times < 0).
func (s *photoServer) fail(url string, status, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[s.key(url)] = &fault{status: status, times: times}
}

// hold makes requests for urls wait until releaseAll.
func (s *photoServer) hold(urls ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range urls {
		s.held[s.key(u)] = true
	}
}

// releaseAll lets every held request through, and later ones at once.
func (s *photoServer) releaseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
	clear(s.held)
}

// waitingNow is the number of held requests waiting for releaseAll.
func (s *photoServer) waitingNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

// requestsFor is how many times url was requested.
func (s *photoServer) requestsFor(url string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[s.key(url)]
}

func (s *photoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := r.URL.RequestURI()
	s.mu.Lock()
	s.requests[k]++
	status := 0
	if f := s.faults[k]; f != nil && f.times != 0 {
		status = f.status
		f.times--
	}
	held, release := s.held[k], s.release
	made, isMade := s.made[r.URL.Path]
	if held {
		s.waiting++
	}
	s.mu.Unlock()

	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if held {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
		if r.Context().Err() != nil {
			return // the daemon gave up on it (stopped, or was killed)
		}
	}
	if isMade {
		_, _ = w.Write(made)
		return
	}
	s.files.ServeHTTP(w, r)
}
