package pool

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Reasons intake may be paused for; it runs only while there are none.
const (
	reasonOperator = "paused by an operator"
	reasonDatabase = "database unreachable"
	reasonReadOnly = "database refuses writes"
	reasonBroker   = "broker refuses messages"
)

// Probe delays: the first probe of a cause comes after probeMin, each later one after twice
// the delay before, up to probeMax.
const (
	probeMin = 100 * time.Millisecond
	probeMax = 5 * time.Second
)

// cause is something that keeps outcomes from being recorded or published: while it holds,
// intake is paused, and probe (nil for an operator's pause) says when it is gone. detail, if
// any, says more than reason: the error that raised it, for the log and the admin page.
type cause struct {
	reason string
	detail string
	probe  func(context.Context) error
}

// gate pauses the consumer while any reason holds, and probes each cause until it is gone.
type gate struct {
	intake Intake
	log    *slog.Logger

	mu      sync.Mutex
	reasons map[string]chan struct{} // the reasons that hold; each channel closes when it ends
	details map[string]string        // the latest detail of a reason that holds
	delays  map[string]time.Duration // the first probe delay of a cause's next outage
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newGate(intake Intake, log *slog.Logger) *gate {
	ctx, cancel := context.WithCancel(context.Background())
	return &gate{intake: intake, log: log, reasons: map[string]chan struct{}{}, details: map[string]string{},
		delays: map[string]time.Duration{}, ctx: ctx, cancel: cancel}
}

// set raises or lowers a reason that has no probe (an operator's pause).
func (g *gate) set(reason string, on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if on {
		g.raise(reason)
	} else {
		g.lower(reason)
	}
}

// down raises c and probes it until it is gone. A cause that comes back soon after it ended
// is probed more slowly each time, until a call proves it gone for real (healthy): a probe
// that passes while the real calls still fail cannot make intake flap.
func (g *gate) down(c cause) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.detail != "" {
		g.details[c.reason] = c.detail
	}
	if _, held := g.reasons[c.reason]; held || g.ctx.Err() != nil {
		return
	}
	ended := g.raise(c.reason)
	delay := max(g.delays[c.reason], probeMin)
	g.delays[c.reason] = min(2*delay, probeMax)
	g.wg.Add(1)
	go g.probe(c, delay, ended)
}

// healthy says a call that c.reason would have failed went through: the next outage is probed
// from the shortest delay again.
func (g *gate) healthy(reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.delays, reason)
}

// cleared returns a channel closed once reason does not hold.
func (g *gate) cleared(reason string) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ended, held := g.reasons[reason]; held {
		return ended
	}
	return closed
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// paused reports whether intake is paused, and why: each reason, followed by its detail.
func (g *gate) paused() (bool, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rs := make([]string, 0, len(g.reasons))
	for r := range g.reasons {
		if d := g.details[r]; d != "" {
			r += ": " + d
		}
		rs = append(rs, r)
	}
	sort.Strings(rs)
	return len(rs) > 0, rs
}

// raise adds reason, pausing intake if it is the first, and returns the channel closed when it
// ends. g.mu is held.
func (g *gate) raise(reason string) chan struct{} {
	if ended, held := g.reasons[reason]; held {
		return ended
	}
	ended := make(chan struct{})
	g.reasons[reason] = ended
	if len(g.reasons) == 1 {
		g.log.Warn("intake paused", "reason", reason, "detail", g.details[reason])
		g.intake.Pause()
	} else {
		g.log.Warn("intake stays paused", "reason", reason, "detail", g.details[reason])
	}
	return ended
}

// lower removes reason, resuming intake if it was the last. g.mu is held.
func (g *gate) lower(reason string) {
	ended, held := g.reasons[reason]
	if !held {
		return
	}
	delete(g.reasons, reason)
	delete(g.details, reason)
	close(ended)
	if len(g.reasons) == 0 {
		g.log.Info("intake resumed", "after", reason)
		g.intake.Resume()
	}
}

func (g *gate) probe(c cause, delay time.Duration, ended chan struct{}) {
	defer g.wg.Done()
	for {
		t := time.NewTimer(delay)
		select {
		case <-g.ctx.Done():
			t.Stop()
			return
		case <-ended: // lowered some other way
			t.Stop()
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(g.ctx, probeMax)
		err := c.probe(ctx)
		cancel()
		if err == nil {
			g.mu.Lock()
			g.lower(c.reason)
			g.mu.Unlock()
			return
		}
		g.log.Debug("still down", "reason", c.reason, "err", err)
		if c.detail != "" {
			g.mu.Lock()
			g.details[c.reason] = err.Error()
			g.mu.Unlock()
		}
		delay = min(2*delay, probeMax)
	}
}

// close stops probing. Reasons still held stay held: nothing waits for them any more.
func (g *gate) close() {
	g.cancel()
	g.wg.Wait()
}
