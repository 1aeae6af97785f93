package pool

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/metrics"
)

type fakeSweepStore struct{ expired, lost []uuid.UUID }

func (s *fakeSweepStore) ExpiredLeases(context.Context, time.Duration, int) ([]uuid.UUID, error) {
	return s.expired, nil
}

func (s *fakeSweepStore) LostRetries(context.Context, time.Duration, int) ([]uuid.UUID, error) {
	return s.lost, nil
}

type fakePublisher struct {
	waiting int
	mu      sync.Mutex
	sent    []uuid.UUID
}

func (p *fakePublisher) Publish(_ context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, ids...)
	return ids, nil
}

func (p *fakePublisher) Waiting(context.Context) (int, error) { return p.waiting, nil }

// A sweep queues again the photos whose lease expired, and the retries long overdue — those
// only while the work queue is empty, since an overdue retry may be waiting behind a backlog.
func TestSweep(t *testing.T) {
	t.Parallel()
	expired, lost := []uuid.UUID{uuid.New()}, []uuid.UUID{uuid.New(), uuid.New()}
	for _, tc := range []struct {
		name    string
		waiting int
		want    []uuid.UUID
	}{
		{"work queue empty", 0, append(slices.Clone(expired), lost...)},
		{"backlog", 7, expired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &fakePublisher{waiting: tc.waiting}
			m := metrics.New(prometheus.NewRegistry())
			sweep(context.Background(), DefaultConfig(), &fakeSweepStore{expired: expired, lost: lost}, pub, m, slog.New(slog.DiscardHandler))
			if !slices.Equal(pub.sent, tc.want) {
				t.Errorf("published %v, want %v", pub.sent, tc.want)
			}
			if n := counterValue(t, m.RetriesRequeued); int(n) != len(tc.want)-len(expired) {
				t.Errorf("photoproc_retries_requeued_total = %v, want %d", n, len(tc.want)-len(expired))
			}
		})
	}
}
