package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
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
	requests map[string]int    // by request URI
	faults   map[string]*fault // by request URI
	held     map[string]bool   // request URIs that wait for release
	slow     map[string]bool   // request URIs whose body (after the headers) waits for release
	hooks    map[string]func() // called first by every request for a URI
	made     map[string][]byte // files made by tests, by path
	release  chan struct{}     // closed by releaseAll
	waiting  int               // held requests waiting now
	dir      string            // the photos served
}

type fault struct {
	status int
	times  int // how many more requests get status; negative: all of them
}

func newPhotoServer(t *testing.T) *photoServer {
	s := &photoServer{
		files:    http.FileServer(http.Dir(testphotos.Dir(t))),
		requests: map[string]int{},
		faults:   map[string]*fault{},
		held:     map[string]bool{},
		slow:     map[string]bool{},
		hooks:    map[string]func(){},
		made:     map[string][]byte{},
		release:  make(chan struct{}),
		dir:      testphotos.Dir(t),
	}
	s.Server = httptest.NewServer(s)
	t.Cleanup(func() {
		s.releaseAll()
		s.Close()
	})
	return s
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

// add serves data at /made/name, beside the test photos, and returns its URL.
func (s *photoServer) add(name string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.made["/made/"+name] = data
	return s.URL + "/made/" + name
}

// fail makes the next times requests for url answer status (every request when times < 0);
// a held request answers it when released.
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

// holdBody makes requests for urls answer their headers at once and their body only after
// releaseAll: a download that takes as long as the test wants, with no header timeout.
func (s *photoServer) holdBody(urls ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range urls {
		s.slow[s.key(u)] = true
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
	clear(s.slow)
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
	held, slow, release, hook := s.held[k], s.slow[k], s.release, s.hooks[k]
	made, isMade := s.made[r.URL.Path]
	if held || slow {
		s.waiting++
	}
	s.mu.Unlock()

	if hook != nil {
		hook()
	}
	if slow {
		s.serveSlowly(w, r, release)
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
	// A fault set while the request was held applies to it: it answers now.
	if status := s.takeFault(k); status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if isMade {
		_, _ = w.Write(made)
		return
	}
	s.files.ServeHTTP(w, r)
}

// takeFault returns the status the next request for k answers, 0 for none, and counts it.
func (s *photoServer) takeFault(k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[k]
	if f == nil || f.times == 0 {
		return 0
	}
	f.times--
	return f.status
}

// onRequest makes every request for url call hook first (the test's way to make a photo kill
// the worker that downloads it).
func (s *photoServer) onRequest(url string, hook func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[s.key(url)] = hook
}

// fetches summarises how many times each of urls was downloaded, as "1×10 2×1": ten
// downloaded once, one twice.
func (s *photoServer) fetches(urls []string) string {
	byCount := map[int]int{}
	for _, u := range urls {
		byCount[s.requestsFor(u)]++
	}
	counts := slices.Sorted(maps.Keys(byCount))
	parts := make([]string, len(counts))
	for i, n := range counts {
		parts[i] = fmt.Sprintf("%d×%d", n, byCount[n])
	}
	return strings.Join(parts, " ")
}

// serveSlowly sends the headers of the photo r asks for at once, and its body once release is
// closed.
func (s *photoServer) serveSlowly(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
	defer func() {
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
	}()
	body, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(path.Clean(r.URL.Path))))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
	select {
	case <-release:
		_, _ = w.Write(body)
	case <-r.Context().Done():
	}
}
