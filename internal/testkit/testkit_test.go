package testkit_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/photoproc/photoproc/internal/testkit"
)

// recorder is a testing.TB that records a fatal failure or a skip instead of reporting it;
// run calls f as a test would, on a goroutine of its own that Fatalf and Skipf end.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	fatal   string
	skipped string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func run(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	r := run(t, func(tb testing.TB) {
		testkit.Eventually(tb, "the third call", func() bool { return calls.Add(1) == 3 })
	})
	if r.fatal != "" || calls.Load() != 3 {
		t.Fatalf("Eventually failed %q after %d calls, want success after 3", r.fatal, calls.Load())
	}
}

func TestEventuallySaysWhatItAwaited(t *testing.T) {
	t.Parallel()
	r := run(t, func(tb testing.TB) {
		testkit.EventuallyWithin(tb, 20*time.Millisecond, "the queue to drain", func() bool { return false })
	})
	if want := "timed out after 20ms waiting for the queue to drain"; r.fatal != want {
		t.Fatalf("failure %q, want %q", r.fatal, want)
	}
}

func TestReceive(t *testing.T) {
	t.Parallel()
	ch := make(chan int, 1)
	ch <- 7
	var got int
	if r := run(t, func(tb testing.TB) { got = testkit.Receive(tb, ch, "a number") }); r.fatal != "" || got != 7 {
		t.Fatalf("Receive = %d, %q; want 7", got, r.fatal)
	}
	close(ch)
	if r := run(t, func(tb testing.TB) { testkit.Receive(tb, ch, "a number") }); !strings.Contains(r.fatal, "waiting for a number: the channel was closed") {
		t.Fatalf("Receive on a closed channel failed with %q", r.fatal)
	}
}

func TestNeedServicesSkipsOnlyUnderShort(t *testing.T) {
	t.Parallel()
	r := run(t, func(tb testing.TB) { testkit.NeedServices(tb, "Postgres", "RabbitMQ") })
	want := ""
	if testing.Short() {
		want = "needs Postgres and RabbitMQ: skipped under -short"
	}
	if r.skipped != want {
		t.Fatalf("skipped with %q, want %q", r.skipped, want)
	}
}

func TestBufferCountsLinesWithEveryPart(t *testing.T) {
	t.Parallel()
	var buf testkit.Buffer
	log := testkit.Logger(t, slog.LevelInfo, &buf)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { log.Info("settled", "photo", i%2) })
	}
	wg.Wait()
	log.Debug("settled", "photo", 1) // below the level
	if n := buf.Count("settled", "photo=1"); n != 5 {
		t.Fatalf("Count = %d, want 5 in:\n%s", n, buf.String())
	}
	if n := buf.Count("settled", "photo=2"); n != 0 {
		t.Fatalf("Count of a part never written = %d", n)
	}
}

func TestDoAndProblem(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "example.test" || r.Header.Get("Content-Type") != "" || r.Header.Get("X-Token") != "t" {
			http.Error(w, "wrong request", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"title":"Not Found","status":404,"detail":"no such photo","errors":[{"message":"unknown","location":"path.uuid"}]}`)
	}))
	t.Cleanup(srv.Close)

	req := testkit.Request(t, http.MethodGet, srv.URL, "", "Host", "example.test", "Content-Type", "", "X-Token", "t")
	p := testkit.Do(t, srv.Client(), req).Problem(t, http.StatusNotFound)
	if p.Detail != "no such photo" || len(p.Errors) != 1 || p.Errors[0].Location != "path.uuid" {
		t.Fatalf("problem %+v", p)
	}

	resp := testkit.Do(t, srv.Client(), req)
	r := run(t, func(tb testing.TB) { resp.Problem(tb, http.StatusBadRequest) })
	if !strings.HasPrefix(r.fatal, "status 404, want 400: ") {
		t.Fatalf("Problem of another status failed with %q", r.fatal)
	}
	resp.Header.Set("Content-Type", "application/json")
	r = run(t, func(tb testing.TB) { resp.Problem(tb, http.StatusNotFound) })
	if !strings.HasPrefix(r.fatal, `content type "application/json", want application/problem+json`) {
		t.Fatalf("Problem of a JSON body failed with %q", r.fatal)
	}
}
