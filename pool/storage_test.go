package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/storage"
)

// A thumbnail that cannot be stored never fails its photo because the store is unusable: a
// store that does not pass its check (or says it is unavailable) gets the photo handed back
// and intake paused until the check passes; a store that passes it had a passing failure, and
// the photo is retried through the delay queue.
func TestStorageFailures(t *testing.T) {
	t.Parallel()
	transient := errors.New("503 Service Unavailable")
	for _, tc := range []struct {
		name       string
		put, check error
		want       string
		pauses     bool
	}{
		{"store answers, one put failed", transient, nil, "retry", false},
		{"store does not answer", transient, errors.New("connection refused"), "requeue", true},
		{"bucket missing", fmt.Errorf("%w: bucket gone", storage.ErrUnavailable), fmt.Errorf("%w: bucket gone", storage.ErrUnavailable), "requeue", true},
		{"write refused, bucket readable", fmt.Errorf("%w: credentials refused", storage.ErrUnavailable), nil, "requeue", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &fakeStorage{}
			st.putErr.Store(&tc.put)
			st.checkErr.Store(&tc.check)
			intake := &recordingIntake{}
			settled := make(chan settlement, 1)
			p := newStoragePool(t, st, intake)

			p.Handle(&fakeDelivery{id: uuid.New(), attempt: 1, settled: settled})
			if got := <-settled; got.how != tc.want {
				t.Fatalf("settled with %s (%q), want %s", got.how, got.reason, tc.want)
			}
			if paused := intake.paused.Load() > 0; paused != tc.pauses {
				t.Fatalf("intake paused: %v, want %v", paused, tc.pauses)
			}
			if paused, reasons := p.Paused(); tc.check != nil && (!paused || reasons[0] != reasonStorage) {
				t.Fatalf("paused %v %v while the check fails, want paused for %q", paused, reasons, reasonStorage)
			}
			if !tc.pauses {
				return
			}
			// The store is back: intake resumes by itself, and the photo is stored.
			var ok error
			st.checkErr.Store(&ok)
			st.putErr.Store(&ok)
			deadline := time.Now().Add(30 * time.Second)
			for intake.resumed.Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("intake not resumed once the store passed its check")
				}
				time.Sleep(10 * time.Millisecond)
			}
			p.Handle(&fakeDelivery{id: uuid.New(), attempt: 1, settled: settled})
			if got := <-settled; got.how != "ack" {
				t.Fatalf("with the store back: settled with %s (%q), want an ack", got.how, got.reason)
			}
		})
	}
}

func newStoragePool(t *testing.T, st Storage, intake Intake) *Pool {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Workers = 1
	p, err := New(cfg, Deps{
		Store:   &fakeStore{released: map[uuid.UUID]string{}, failed: map[uuid.UUID]string{}, completed: map[uuid.UUID]bool{}},
		Fetcher: &panicky{stage: "download"}, Thumbnailer: &panicky{stage: "thumbnail"}, Storage: st, Intake: intake,
		Metrics: metrics.New(prometheus.NewRegistry()), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

// fakeStorage fails puts and checks with the errors it holds.
type fakeStorage struct {
	putErr, checkErr atomic.Pointer[error]
}

func (s *fakeStorage) Put(_ context.Context, name string, _ []byte) (string, error) {
	if err := *s.putErr.Load(); err != nil {
		return "", err
	}
	return name, nil
}

func (s *fakeStorage) Check(context.Context) error { return *s.checkErr.Load() }

// recordingIntake counts pauses and resumes.
type recordingIntake struct {
	paused, resumed atomic.Int32
}

func (i *recordingIntake) Pause()  { i.paused.Add(1) }
func (i *recordingIntake) Resume() { i.resumed.Add(1) }

// localStorage is a thumbnails directory of the test's own.
func localStorage(tb testing.TB) *storage.Store {
	tb.Helper()
	cfg := storage.DefaultConfig()
	cfg.Dir = tb.TempDir()
	s, err := storage.Open(cfg, storage.Deps{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
