package pool

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// A task that panics, in either stage, is not lost and not handed straight back (which would
// redeliver it at once, in a hot loop): its message is retried through the delay queue like
// any transient failure, and dead-lettered with the photo failed once the attempts are spent.
func TestPanickingTaskIsRetriedThenDeadLettered(t *testing.T) {
	t.Parallel()
	for _, stage := range []string{"download", "thumbnail", "write"} {
		t.Run(stage, func(t *testing.T) {
			t.Parallel()
			b := newPanicBundle(t)
			b.panics(stage, 2) // the first two attempts panic
			id := uuid.New()

			b.pool.Handle(&fakeDelivery{id: id, attempt: 1, settled: b.settled})
			if got := <-b.settled; got.how != "retry" || !strings.Contains(got.reason, "internal error") {
				t.Fatalf("attempt 1 panicked and was settled with %s (%q), want a retry", got.how, got.reason)
			}
			if r := b.store.releasedReason(id); !strings.Contains(r, "internal error") {
				t.Errorf("photo released with reason %q, want the panic", r)
			}

			// MaxAttempts is 2: the second panic is the last attempt.
			b.pool.Handle(&fakeDelivery{id: id, attempt: 2, settled: b.settled})
			if got := <-b.settled; got.how != "dead-letter" || !strings.Contains(got.reason, "panic in "+stage) {
				t.Fatalf("attempt 2 panicked and was settled with %s (%q), want a dead letter", got.how, got.reason)
			}
			if r := b.store.failedWith(id); !strings.Contains(r, "panic in "+stage) {
				t.Errorf("photo failed with reason %q, want the panic", r)
			}
			var m dto.Metric
			if err := b.metrics.TaskPanics.Write(&m); err != nil {
				t.Fatal(err)
			}
			if n := m.GetCounter().GetValue(); n != 2 {
				t.Errorf("photoproc_task_panics_total = %v, want 2", n)
			}

			// Once the panic is gone, a photo completes.
			other := uuid.New()
			b.pool.Handle(&fakeDelivery{id: other, attempt: 1, settled: b.settled})
			if got := <-b.settled; got.how != "ack" {
				t.Fatalf("a task that did not panic was settled with %s, want an ack", got.how)
			}
			if !b.store.isCompleted(other) {
				t.Error("photo not completed")
			}
		})
	}
}

type panicBundle struct {
	pool    *Pool
	store   *fakeStore
	metrics *metrics.Metrics
	settled chan settlement
	fetch   *panicky
	thumbs  *panicky
}

func newPanicBundle(t *testing.T) *panicBundle {
	t.Helper()
	b := &panicBundle{
		store:   &fakeStore{released: map[uuid.UUID]string{}, failed: map[uuid.UUID]string{}, completed: map[uuid.UUID]bool{}, attempts: map[uuid.UUID]int{}, complete: panicky{stage: "write"}},
		metrics: metrics.New(prometheus.NewRegistry()),
		settled: make(chan settlement, 1),
		fetch:   &panicky{stage: "download"},
		thumbs:  &panicky{stage: "thumbnail"},
	}
	cfg := DefaultConfig()
	cfg.Workers, cfg.MaxAttempts, cfg.ThumbsDir = 1, 2, t.TempDir()
	p, err := New(cfg, Deps{
		Store: b.store, Fetcher: b.fetch, Thumbnailer: b.thumbs, Intake: nopIntake{},
		Metrics: b.metrics, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	b.pool = p
	return b
}

func (b *panicBundle) panics(stage string, times int32) {
	map[string]*panicky{"download": b.fetch, "thumbnail": b.thumbs, "write": &b.store.complete}[stage].left.Store(times)
}

// panicky is a Fetcher and a Thumbnailer that panics while it has panics left.
type panicky struct {
	stage string
	left  atomic.Int32
}

func (p *panicky) Fetch(context.Context, string) ([]byte, error) {
	p.maybePanic()
	return []byte("photo"), nil
}

func (p *panicky) Make([]byte) (imaging.Thumbnail, error) {
	p.maybePanic()
	return imaging.Thumbnail{JPEG: []byte("jpeg"), Width: 1, Height: 1}, nil
}

func (p *panicky) maybePanic() {
	if p.left.Add(-1) >= 0 {
		panic("panic in " + p.stage)
	}
}

// fakeStore acquires every claim and remembers how each photo was settled; recording a
// thumbnail panics while complete has panics left.
type fakeStore struct {
	complete  panicky
	mu        sync.Mutex
	released  map[uuid.UUID]string
	failed    map[uuid.UUID]string
	completed map[uuid.UUID]bool
	attempts  map[uuid.UUID]int
}

func (s *fakeStore) Claim(_ context.Context, id uuid.UUID, o store.ClaimOpts) (store.Photo, store.ClaimResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := store.Photo{UUID: id, URL: "http://photos.example/" + id.String(), Status: store.StatusProcessing, Attempts: s.attempts[id]}
	if p.Attempts >= o.MaxAttempts {
		return p, store.ClaimExhausted, nil
	}
	s.attempts[id]++
	p.Attempts++
	return p, store.ClaimAcquired, nil
}

func (s *fakeStore) Complete(_ context.Context, id uuid.UUID, _ store.Thumbnail) error {
	s.complete.maybePanic()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completed[id] = true
	return nil
}

func (s *fakeStore) Fail(_ context.Context, c store.Claim, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed[c.Photo] = reason
	return nil
}

func (s *fakeStore) Release(_ context.Context, c store.Claim, reason string, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released[c.Photo] = reason
	return nil
}

func (s *fakeStore) Ping(context.Context) error { return nil }

func (s *fakeStore) ExpiredLeases(context.Context, time.Duration, int) ([]uuid.UUID, error) {
	return nil, nil
}

func (s *fakeStore) releasedReason(id uuid.UUID) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released[id]
}

func (s *fakeStore) failedWith(id uuid.UUID) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed[id]
}

func (s *fakeStore) isCompleted(id uuid.UUID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.completed[id]
}

type nopIntake struct{}

func (nopIntake) Pause()  {}
func (nopIntake) Resume() {}

// settlement is how a fakeDelivery was settled.
type settlement struct{ how, reason string }

// fakeDelivery reports its one settlement on a channel.
type fakeDelivery struct {
	id          uuid.UUID
	attempt     int
	settled     chan<- settlement
	how, reason string // the copy published before the ack
}

func (d *fakeDelivery) Photo() uuid.UUID          { return d.id }
func (d *fakeDelivery) Redelivery() bool          { return false }
func (d *fakeDelivery) Ack() error                { d.report("ack", ""); return nil }
func (d *fakeDelivery) Requeue() error            { d.report("requeue", ""); return nil }
func (d *fakeDelivery) RetryIn(int) time.Duration { return time.Millisecond }

func (d *fakeDelivery) PublishRetry(_ context.Context, reason string, _ int, _ time.Duration) error {
	d.how, d.reason = "retry", reason
	return nil
}

func (d *fakeDelivery) PublishDeadLetter(_ context.Context, reason string, _ int) error {
	d.how, d.reason = "dead-letter", reason
	return nil
}

// report sends the settlement: how a copy was published, if one was, else how.
func (d *fakeDelivery) report(how, reason string) {
	if d.how != "" {
		how, reason = d.how, d.reason
	}
	d.settled <- settlement{how: how, reason: reason}
}
