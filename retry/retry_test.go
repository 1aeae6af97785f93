package retry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/retry"
)

func TestDelayDoublesUpToTheCap(t *testing.T) {
	t.Parallel()
	p := retry.DefaultPolicy()
	for step, want := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 256 * time.Second,
		10: 5 * time.Minute, 11: 5 * time.Minute, 1000: 5 * time.Minute,
	} {
		if got := p.Delay(step); got != want {
			t.Errorf("Delay(step %d) = %s, want %s", step, got, want)
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300}
	got := p.Delays()
	if len(got) != len(want) {
		t.Fatalf("Delays() = %v, want %v seconds", got, want)
	}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("Delays() = %v, want %v seconds", got, want)
		}
	}
	if one := (retry.Policy{Backoff: time.Minute, BackoffMax: time.Minute}).Delays(); len(one) != 1 || one[0] != time.Minute {
		t.Errorf("Delays() with Backoff = BackoffMax: %v, want [1m]", one)
	}
}

// A retry waits between half and all of its step's delay, in whole milliseconds.
func TestWaitIsJitteredDownToHalf(t *testing.T) {
	t.Parallel()
	p := retry.Policy{MaxAttempts: 5, Backoff: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond}
	for attempt := 1; attempt <= 6; attempt++ {
		step := p.Delay(attempt)
		for range 200 {
			w := p.Wait(attempt)
			if w < step/2-time.Millisecond || w > step || w%time.Millisecond != 0 {
				t.Fatalf("Wait(%d) = %s, want whole milliseconds between %s and %s", attempt, w, step/2, step)
			}
		}
	}
	for _, d := range []time.Duration{0, 1, 2, 3, time.Millisecond, time.Second, 5 * time.Minute} {
		for range 200 {
			if got := retry.Jitter(d); got < d/2 || got > d {
				t.Fatalf("Jitter(%s) = %s, want between %s and %s", d, got, d/2, d)
			}
		}
	}
}

func TestLastAttempt(t *testing.T) {
	t.Parallel()
	p := retry.Policy{MaxAttempts: 3}
	for attempt, last := range map[int]bool{1: false, 2: false, 3: true, 4: true} {
		if p.LastAttempt(attempt) != last {
			t.Errorf("LastAttempt(%d) = %v, want %v", attempt, !last, last)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p    retry.Policy
		want []string // substrings; none = valid
	}{
		{retry.DefaultPolicy(), nil},
		{retry.Policy{MaxAttempts: 1, Backoff: time.Millisecond, BackoffMax: time.Millisecond}, nil},
		{retry.Policy{MaxAttempts: 0, Backoff: time.Second, BackoffMax: time.Minute}, []string{"max attempts 0: must be 1..20"}},
		{retry.Policy{MaxAttempts: 21, Backoff: time.Second, BackoffMax: time.Minute}, []string{"max attempts 21: must be 1..20"}},
		{retry.Policy{MaxAttempts: 5, Backoff: time.Microsecond, BackoffMax: time.Minute}, []string{"retry backoff 1µs: must be 1ms..1m (the longest retry delay)"}},
		{retry.Policy{MaxAttempts: 5, Backoff: 10 * time.Minute, BackoffMax: 5 * time.Minute}, []string{"retry backoff 10m: must be 1ms..5m"}},
		{retry.Policy{}, []string{"max attempts", "retry backoff max 0s: must be at least 1ms"}},
	} {
		err := c.p.Validate()
		if (err == nil) != (len(c.want) == 0) {
			t.Errorf("%+v: Validate() = %v, want %q", c.p, err, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: Validate() = %q, want it to mention %q", c.p, err, w)
			}
		}
	}
}
