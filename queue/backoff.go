package queue

import (
	"context"
	"math/rand/v2"
	"time"
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
	d := jitter(b.next)
	b.next = min(b.next*2, b.max)
	return d
}

func (b *backoff) reset() { b.next = b.min }

// jitter returns a random duration between half and all of d, so that many clients (or many
// retried messages) that failed together do not come back together.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

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
