// Package retry is photoproc's retry policy, in one place: how many attempts a photo gets
// before it is failed and dead-lettered, and how long each retry waits. The pool decides
// with it (the attempt limit, the wait of each retry); the broker's delay queues are
// declared from its schedule (Delays), and a retry is published to the one its wait fits.
//
// It is a leaf: it knows nothing of photos, Postgres or RabbitMQ.
package retry

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/photoproc/photoproc/internal/field"
)

// Policy is how often, and after how long, a photo whose attempt failed for a passing
// reason is tried again.
type Policy struct {
	// MaxAttempts is the attempts a photo gets before it is failed and dead-lettered
	// (PHOTOPROC_MAX_ATTEMPTS); default 5, 1..20.
	MaxAttempts int
	// Backoff is the first retry's delay (PHOTOPROC_RETRY_BACKOFF); default 1s, from 1ms to
	// BackoffMax. Retry n waits Delay(n) = min(Backoff·2^(n-1), BackoffMax), jittered down to
	// as little as half of it, so that photos that failed together do not come back together.
	Backoff time.Duration
	// BackoffMax caps a retry's delay; default 5m. Backoff and BackoffMax fix the delay queues
	// the broker holds retries in: one per distinct delay (Delays).
	BackoffMax time.Duration
}

// maxAttempts bounds MaxAttempts: more is a typo, and would keep a broken photo for days.
const maxAttempts = 20

// DefaultPolicy returns the defaults documented on Policy.
func DefaultPolicy() Policy {
	return Policy{MaxAttempts: 5, Backoff: time.Second, BackoffMax: 5 * time.Minute}
}

// Validate reports every problem with p.
func (p Policy) Validate() error {
	errs := []error{
		field.Range("MaxAttempts", "max attempts", p.MaxAttempts, 1, maxAttempts, ""),
		field.AtLeast("BackoffMax", "retry backoff max", p.BackoffMax, time.Millisecond, ""),
	}
	if p.BackoffMax >= time.Millisecond {
		errs = append(errs, field.Range("Backoff", "retry backoff", p.Backoff, time.Millisecond, p.BackoffMax, "(the longest retry delay)"))
	}
	return errors.Join(errs...)
}

// LastAttempt reports whether attempt (from 1) is the last the policy allows.
func (p Policy) LastAttempt(attempt int) bool { return attempt >= p.MaxAttempts }

// Delay is how long retry number step (from 1) waits before jitter:
// min(Backoff·2^(step-1), BackoffMax).
func (p Policy) Delay(step int) time.Duration {
	d := p.Backoff
	for i := 1; i < step && d < p.BackoffMax; i++ {
		d *= 2
	}
	return min(d, p.BackoffMax)
}

// Wait is how long the retry after attempt waits: Delay(attempt), jittered down to as little
// as half of it, in whole milliseconds (what a message's TTL can say).
func (p Policy) Wait(attempt int) time.Duration {
	return Jitter(p.Delay(attempt)).Truncate(time.Millisecond)
}

// Delays returns every distinct retry delay, shortest first: Backoff, doubling, up to
// BackoffMax. Later retries share the last one.
func (p Policy) Delays() []time.Duration {
	var ds []time.Duration
	for step := 1; ; step++ {
		d := p.Delay(step)
		if d <= 0 || (len(ds) > 0 && d == ds[len(ds)-1]) {
			return ds
		}
		ds = append(ds, d)
	}
}

// Jitter returns a random duration between half and all of d, so that many clients (or many
// retried messages) that failed together do not come back together.
func Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
