package queue

import (
	"testing"
	"time"
)

func TestJitterStaysBetweenHalfAndAll(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, 1, 2, 3, time.Millisecond, time.Second, 5 * time.Minute} {
		for range 200 {
			if got := jitter(d); got < d/2 || got > d {
				t.Fatalf("jitter(%s) = %s, want between %s and %s", d, got, d/2, d)
			}
		}
	}
}

func TestBackoffDoublesUpToMaxAndResets(t *testing.T) {
	t.Parallel()
	b := newBackoff(100*time.Millisecond, time.Second)
	steps := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, step := range steps {
		step *= time.Millisecond
		if got := b.delay(); got < step/2 || got > step {
			t.Fatalf("delay %d = %s, want between %s and %s", i, got, step/2, step)
		}
	}
	b.reset()
	if got := b.delay(); got > 100*time.Millisecond {
		t.Fatalf("after reset delay = %s, want at most 100ms", got)
	}
}
