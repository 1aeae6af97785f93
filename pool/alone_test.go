package pool

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/store"
)

// Whatever the mix of attempts running beside others and alone, and of attempts changing from
// one to the other, an attempt that runs alone is never beside another.
func TestRunsAloneMeansAlone(t *testing.T) {
	t.Parallel()
	r := newRuns()
	var inside, alone atomic.Int32
	var violations atomic.Int32
	check := func() {
		if alone.Load() > 0 && inside.Load() > 1 {
			violations.Add(1)
		}
	}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			var h hold
			r.enter(&h, i%4 == 0) // a redelivery claims alone
			inside.Add(1)
			if h == holdAlone {
				alone.Add(1)
			}
			check()
			switch i % 8 {
			case 0: // claimed a pending photo: runs beside the others from now on
				alone.Add(-1)
				r.share(&h)
			case 3: // took over a claim: runs alone from now on
				inside.Add(-1)
				r.isolate(&h)
				inside.Add(1)
				alone.Add(1)
			}
			check()
			if h == holdAlone {
				alone.Add(-1)
			}
			inside.Add(-1)
			r.leave(&h)
		})
	}
	wg.Wait()
	if n := violations.Load(); n != 0 {
		t.Errorf("%d times an attempt ran alone beside another", n)
	}
	if r.beside != 0 || r.alone || r.waiting != 0 {
		t.Errorf("after all left: beside %d, alone %v, waiting %d", r.beside, r.alone, r.waiting)
	}
}

// A photo taken over from a worker that died runs alone: no other photo is claimed while it
// is in flight, so that if it kills this worker too, it alone is charged the attempt. The
// others are claimed once it is done.
func TestTakenOverPhotoRunsAlone(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *Config) { c.Workers = 2 })
	suspect := uuid.New()
	b.store.put(suspect, fakePhoto{status: store.StatusProcessing, attempts: 1}) // its worker died
	var beside atomic.Int32
	b.store.onClaim = func(id uuid.UUID) {
		if id != suspect && b.fetch.inFlight(suspect) {
			beside.Add(1)
		}
	}
	release := b.fetch.hold(suspect)
	b.deliver(suspect, true)
	testkit.Eventually(t, "the suspect to download", func() bool { return b.fetch.inFlight(suspect) })
	others := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	b.deliver(others[0], true) // redelivered beside it in the crash, not taken over
	b.deliver(others[1], false)
	b.deliver(others[2], false)
	testkit.Eventually(t, "the others to wait for a download slot or their turn", func() bool {
		return b.pool.Downloading() == 4
	})
	release()
	for range 4 {
		if got := b.next(t); got.how != "ack" || got.published != "" {
			t.Errorf("settled %+v, want an ack", got)
		}
	}
	if n := beside.Load(); n != 0 {
		t.Errorf("%d photos claimed while the photo taken over was in flight", n)
	}
	for _, id := range append(others, suspect) {
		if p := b.store.get(id); p.status != store.StatusCompleted {
			t.Errorf("photo %s: %+v, want completed", id, p)
		}
	}
	if n := b.logs.Count("taking over a photo", "running it alone"); n != 1 {
		t.Errorf("%d takeovers logged, want 1", n)
	}
}
