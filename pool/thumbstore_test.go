package pool

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// A thumbnail that cannot be stored never fails its photo because the store is unusable: a
// store that does not pass its check (or says it is unavailable) gets the photo held, intake
// paused and no attempt spent until the check passes, then handed back; a store that passes
// its check had a passing failure, and the photo is retried through the delay queue.
func TestStorageFailures(t *testing.T) {
	t.Parallel()
	transient := errors.New("503 Service Unavailable")
	for _, tc := range []struct {
		name       string
		put, check error
		unusable   bool
	}{
		{"store answers, one put failed", transient, nil, false},
		{"store does not answer", transient, errors.New("connection refused"), true},
		{"bucket missing", fmt.Errorf("%w: bucket gone", thumbstore.ErrUnavailable), fmt.Errorf("%w: bucket gone", thumbstore.ErrUnavailable), true},
		{"write refused, bucket readable", fmt.Errorf("%w: credentials refused", thumbstore.ErrUnavailable), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, nil)
			b.thumbstore.failWith(tc.put, tc.check)
			id := uuid.New()
			b.deliver(id, false)
			if !tc.unusable {
				if got := b.next(t); got.how != "ack" || got.published != "retry" {
					t.Fatalf("settled with %+v, want a retry", got)
				}
				if p := b.store.get(id); !p.waiting || p.attempts != 1 {
					t.Fatalf("photo %+v, want waiting for its retry after one attempt", p)
				}
				return
			}
			eventually(t, "intake paused for the store", func() bool {
				paused, reasons := b.pool.Paused()
				return paused && len(reasons) == 1 && reasons[0] == reasonStorage && b.intake.isPaused()
			})
			if p := b.store.get(id); p.status != store.StatusProcessing {
				t.Fatalf("photo %+v while the store is unusable, want held in processing", p)
			}

			// The store is back: the photo is handed back with its attempt given back, and
			// intake resumes by itself.
			b.thumbstore.failWith(nil, nil)
			if got := b.next(t); got.how != "requeue" {
				t.Fatalf("settled with %+v once the store answered, want the message handed back", got)
			}
			if p := b.store.get(id); p.status != store.StatusPending || p.attempts != 0 {
				t.Fatalf("photo %+v, want pending with no attempt spent", p)
			}
			eventually(t, "intake resumed", func() bool { return !b.intake.isPaused() })
			b.deliver(id, true)
			if got := b.next(t); got.how != "ack" || got.published != "" {
				t.Fatalf("with the store back: settled with %+v, want an ack", got)
			}
			if p := b.store.get(id); p.status != store.StatusCompleted || p.completed.URL != "mem://"+id.String()+".jpg" {
				t.Fatalf("photo %+v, want completed with the URL the store gave", p)
			}
		})
	}
}

// localStorage is a thumbnails directory of the test's own.
func localStorage(tb testing.TB) *thumbstore.Store {
	tb.Helper()
	cfg := thumbstore.DefaultConfig()
	cfg.Dir = tb.TempDir()
	s, err := thumbstore.Open(cfg, thumbstore.Deps{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
