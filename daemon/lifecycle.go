package daemon

import (
	"context"
	"log/slog"
	"time"
)

// lifecycle collects teardown steps as components are built and runs them in reverse, so
// each component stops before the ones it depends on.
type lifecycle struct {
	log   *slog.Logger
	steps []step
}

type step struct {
	name string
	stop func(ctx context.Context) error
}

// stepTimeout bounds each teardown step; the pool's own drain is bounded by
// PHOTOPROC_SHUTDOWN_TIMEOUT, which it adds to this.
const stepTimeout = 10 * time.Second

func (l *lifecycle) onStop(name string, stop func(ctx context.Context) error) {
	l.steps = append(l.steps, step{name, stop})
}

func (l *lifecycle) stop() {
	for i := len(l.steps) - 1; i >= 0; i-- {
		s := l.steps[i]
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		start := time.Now()
		if err := s.stop(ctx); err != nil {
			l.log.Warn("stop step failed", "step", s.name, "err", err)
		} else {
			l.log.Debug("stopped", "step", s.name, "duration_ms", time.Since(start).Milliseconds())
		}
		cancel()
	}
	l.steps = nil
}
