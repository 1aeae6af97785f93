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
)

// gate pauses the consumer while any reason holds, and probes the database while it is down.
type gate struct {
	intake Intake
	store  interface{ Ping(context.Context) error }
	log    *slog.Logger

	mu      sync.Mutex
	reasons map[string]bool
	probing map[string]bool // reasons being probed
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newGate(intake Intake, st interface{ Ping(context.Context) error }, log *slog.Logger) *gate {
	ctx, cancel := context.WithCancel(context.Background())
	return &gate{intake: intake, store: st, log: log, reasons: map[string]bool{}, probing: map[string]bool{}, ctx: ctx, cancel: cancel}
}

func (g *gate) set(reason string, on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	was := len(g.reasons) > 0
	if on {
		g.reasons[reason] = true
	} else {
		delete(g.reasons, reason)
	}
	switch now := len(g.reasons) > 0; {
	case now && !was:
		g.log.Warn("intake paused", "reason", reason)
		g.intake.Pause()
	case !now && was:
		g.log.Info("intake resumed")
		g.intake.Resume()
	}
}

func (g *gate) paused() (bool, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var rs []string
	for r := range g.reasons {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	return len(rs) > 0, rs
}

// storeDown pauses intake and starts probing the database until it answers again.
func (g *gate) storeDown() { g.down(reasonDatabase, g.store.Ping) }

// down pauses intake for reason and starts probing check until it passes, which lifts reason.
func (g *gate) down(reason string, check func(context.Context) error) {
	g.set(reason, true)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.probing[reason] || g.ctx.Err() != nil {
		return
	}
	g.probing[reason] = true
	g.wg.Add(1)
	go g.probe(reason, check)
}

func (g *gate) probe(reason string, check func(context.Context) error) {
	defer g.wg.Done()
	delay := 100 * time.Millisecond
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-time.After(delay):
		}
		ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			g.mu.Lock()
			delete(g.probing, reason)
			g.mu.Unlock()
			g.set(reason, false)
			return
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// close stops probing.
func (g *gate) close() {
	g.cancel()
	g.wg.Wait()
}
