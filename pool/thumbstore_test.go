package pool

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// A thumbnail that cannot be stored never fails its photo because the store cannot take
// writes: when the put says so (full, read-only, refused, gone) or a probe — a real write —
// fails after it, the delivery is held with its thumbnail, intake pauses with the reason and
// the error, and no attempt is spent; once a probe passes the put is tried again and the photo
// completes, downloaded and made once. It is never handed back to the queue, so it cannot loop:
// a put refused while the probe's write passes is tried again in place, no faster than the
// longest probe delay. A store that takes the probe had a passing failure, and the photo is
// retried through the delay queue.
func TestStorageFailures(t *testing.T) {
	t.Parallel()
	transient := errors.New("503 Service Unavailable")
	full := fmt.Errorf("%w: write: no space left on device", thumbstore.ErrFull)
	refused := fmt.Errorf("%w: AccessDenied", thumbstore.ErrRefused)
	for _, tc := range []struct {
		name       string
		put, probe error
		held       bool
	}{
		{"store answers, one put failed", transient, nil, false},
		{"store does not answer", transient, errors.New("connection refused"), true},
		{"store full", full, full, true},
		{"put refused, the probe's write not", refused, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, nil)
			b.thumbstore.failWith(tc.put, tc.probe)
			id := uuid.New()
			b.deliver(id, false)
			if !tc.held {
				if got := b.next(t); got.how != "ack" || got.published != "retry" {
					t.Fatalf("settled with %+v, want a retry", got)
				}
				if p := b.store.get(id); !p.waiting || p.attempts != 1 {
					t.Fatalf("photo %+v, want waiting for its retry after one attempt", p)
				}
				return
			}
			testkit.Eventually(t, "intake paused for the store, saying why", func() bool {
				paused, reasons := b.pool.Paused()
				return paused && len(reasons) == 1 && strings.HasPrefix(reasons[0], reasonStorage+": ") &&
					b.intake.isPaused()
			})
			// Held, and tried again only once a probe passes: the store is probed again and
			// again meanwhile, and the photo is never handed back.
			testkit.Eventually(t, "probes while held", func() bool {
				puts, probes := b.thumbstore.counts()
				return probes >= 3 && (tc.probe != nil || puts >= 3)
			})
			if puts, _ := b.thumbstore.counts(); tc.probe != nil && puts != 1 {
				t.Errorf("%d puts while the probe failed, want the first only", puts)
			}
			select {
			case got := <-b.settled:
				t.Fatalf("settled with %+v while the store cannot take writes, want held", got)
			default:
			}
			if p := b.store.get(id); p.status != store.StatusProcessing || p.attempts != 1 {
				t.Fatalf("photo %+v while the store cannot take writes, want held in processing", p)
			}

			// The store is back: the held put goes through, the photo completes on its first
			// attempt and download, and intake resumes by itself.
			b.thumbstore.failWith(nil, nil)
			if got := b.next(t); got.how != "ack" || got.published != "" {
				t.Fatalf("settled with %+v once the store took writes, want an ack", got)
			}
			p := b.store.get(id)
			if p.status != store.StatusCompleted || p.attempts != 1 || p.completed.URL != "mem://"+id.String()+".jpg" {
				t.Fatalf("photo %+v, want completed after one attempt with the URL the store gave", p)
			}
			if n := b.fetch.count(id); n != 1 {
				t.Errorf("%d downloads, want 1", n)
			}
			testkit.Eventually(t, "intake resumed", func() bool { return !b.intake.isPaused() })
			if paused, reasons := b.pool.Paused(); paused {
				t.Errorf("paused for %v once the store took writes", reasons)
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
