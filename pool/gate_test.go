package pool

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func newTestGate(t *testing.T) (*gate, *fakeIntake) {
	t.Helper()
	in := &fakeIntake{}
	g := newGate(in, slog.New(slog.DiscardHandler))
	t.Cleanup(g.close)
	return g, in
}

// Intake is paused once, however many reasons hold, and resumed once none does.
func TestGatePausesWhileAnyReasonHolds(t *testing.T) {
	t.Parallel()
	g, in := newTestGate(t)
	var down atomic.Bool
	down.Store(true)
	g.set(reasonOperator, true)
	g.down(cause{reason: reasonReadOnly, probe: func(context.Context) error {
		if down.Load() {
			return errors.New("read-only")
		}
		return nil
	}})
	if paused, reasons := g.paused(); !paused || !slices.Equal(reasons, []string{reasonReadOnly, reasonOperator}) {
		t.Fatalf("paused() = %v %v", paused, reasons)
	}
	down.Store(false)
	<-g.cleared(reasonReadOnly)
	if paused, reasons := g.paused(); !paused || !slices.Equal(reasons, []string{reasonOperator}) || !in.isPaused() {
		t.Fatalf("after the cause cleared: paused() = %v %v, intake paused %v; want the operator's pause", paused, reasons, in.isPaused())
	}
	g.set(reasonOperator, false)
	if paused, _ := g.paused(); paused || in.isPaused() || in.pauses != 1 || in.resume != 1 {
		t.Fatalf("after both: paused %v, intake %+v; want resumed, paused and resumed once", paused, in)
	}
	select {
	case <-g.cleared(reasonDatabase): // a reason that never held is clear
	default:
		t.Error("cleared() of a reason that does not hold is not closed")
	}
}

// A cause that comes back right after a probe found it gone (the probe cannot see it) is
// probed more slowly each time, until a real call proves it gone.
func TestGateProbesSlowerWhenACauseComesBack(t *testing.T) {
	t.Parallel()
	g, _ := newTestGate(t)
	c := cause{reason: reasonDatabase, probe: func(context.Context) error { return nil }}
	var delays []time.Duration
	for range 4 {
		g.mu.Lock()
		delays = append(delays, max(g.delays[c.reason], probeMin))
		g.mu.Unlock()
		g.down(c)
		<-g.cleared(c.reason)
	}
	if want := []time.Duration{probeMin, 2 * probeMin, 4 * probeMin, 8 * probeMin}; !slices.Equal(delays, want) {
		t.Errorf("first probe delays %v, want %v", delays, want)
	}
	g.healthy(c.reason)
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := g.delays[c.reason]; d != 0 {
		t.Errorf("after a healthy call the next outage starts at %s, want the shortest", d)
	}
}
