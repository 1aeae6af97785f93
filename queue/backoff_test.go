package queue

import (
	"testing"
	"time"
)

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
