package testkit

import (
	"testing"
	"time"
)

// WaitTimeout bounds the waits of Eventually and Receive: a safety net, so that a bug fails
// the test instead of hanging the run, never a timing assertion.
const WaitTimeout = 30 * time.Second

// maxPoll is the longest pause between two checks of a condition.
const maxPoll = 250 * time.Millisecond

// Eventually polls cond until it holds, failing the test with what was awaited when it has
// not held within WaitTimeout. It waits for an outcome; it never stands in for one.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	EventuallyWithin(tb, WaitTimeout, what, cond)
}

// EventuallyWithin is Eventually with a timeout of the caller's, for outcomes that take
// longer than WaitTimeout by design (a batch of photos through a daemon). The pause between
// checks is a tenth of the time waited so far, from 1ms to 250ms: an outcome is seen within
// about a tenth of the time it took, and a long wait does not load, by polling, the daemon
// or database it waits for (tests run many at once on shared cores).
func EventuallyWithin(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	start := time.Now()
	for !cond() {
		waited := time.Since(start)
		if waited > timeout {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(min(max(waited/10, time.Millisecond), maxPoll))
	}
}

// Receive returns the next value on ch, failing the test with what was awaited when none
// comes within WaitTimeout (or ch is closed).
func Receive[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	timer := time.NewTimer(WaitTimeout)
	defer timer.Stop()
	select {
	case v, ok := <-ch:
		if !ok {
			tb.Fatalf("waiting for %s: the channel was closed", what)
		}
		return v
	case <-timer.C:
		tb.Fatalf("timed out after %s waiting for %s", WaitTimeout, what)
	}
	var zero T
	return zero
}
