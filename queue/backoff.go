package queue

import (
	"context"
	"time"

	"github.com/photoproc/photoproc/retry"
)

// backoff is an exponential delay with jitter, for reconnecting; not safe for concurrent use.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func newBackoff(lo, hi time.Duration) *backoff {
	return &backoff{min: lo, max: hi, next: lo}
}

// delay returns the next wait, between half and all of the current step, and doubles the step.
func (b *backoff) delay() time.Duration {
	d := retry.Jitter(b.next)
	b.next = min(b.next*2, b.max)
	return d
}

func (b *backoff) reset() { b.next = b.min }

// sleep waits for d, or until ctx or stop ends; it reports whether the wait ran to the end.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}
