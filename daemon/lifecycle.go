package daemon

import (
	"context"
	"log/slog"
	"time"
)

// The stop budget. The pool's drain gets all of PHOTOPROC_SHUTDOWN_TIMEOUT, then handBackTime
// to hand back what the drain cut short; every other step gets stepTimeout at most, and all of
// them together stopOverhead at most. In practice they take milliseconds; the bounds are for a
// dependency that hangs. So a stop takes at most StopTimeout: what systemd's TimeoutStopSec
// (and Compose's stop_grace_period) must allow, and what the daemon asks systemd for.
const (
	stepTimeout  = 5 * time.Second
	stopOverhead = 15 * time.Second
	handBackTime = 10 * time.Second
)

// StopTimeout is the longest a stop of a daemon configured with cfg takes:
// PHOTOPROC_SHUTDOWN_TIMEOUT + 25s.
func StopTimeout(cfg Config) time.Duration {
	return cfg.Pool.ShutdownTimeout + handBackTime + stopOverhead
}

// lifecycle collects teardown steps as components are built and runs them in reverse, so
// each component stops before the ones it depends on.
type lifecycle struct {
	log   *slog.Logger
	steps []step
}

type step struct {
	name string
	// budget is the step's own time; zero: a share of stopOverhead, stepTimeout at most.
	budget time.Duration
	stop   func(ctx context.Context) error
}

// onStop adds a step that shares stopOverhead with the other short steps.
func (l *lifecycle) onStop(name string, stop func(ctx context.Context) error) {
	l.steps = append(l.steps, step{name: name, stop: stop})
}

// onStopWithin adds a step with a budget of its own, on top of the others'.
func (l *lifecycle) onStopWithin(name string, budget time.Duration, stop func(ctx context.Context) error) {
	l.steps = append(l.steps, step{name: name, budget: budget, stop: stop})
}

func (l *lifecycle) stop() {
	overhead := stopOverhead
	for i := len(l.steps) - 1; i >= 0; i-- {
		s := l.steps[i]
		budget := s.budget
		if budget == 0 {
			budget = min(stepTimeout, max(overhead, 0))
		}
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		start := time.Now()
		if err := s.stop(ctx); err != nil {
			l.log.Warn("stop step failed", "step", s.name, "err", err)
		} else {
			l.log.Debug("stopped", "step", s.name, "duration_ms", time.Since(start).Milliseconds())
		}
		cancel()
		if s.budget == 0 {
			overhead -= time.Since(start)
		}
	}
	l.steps = nil
}
