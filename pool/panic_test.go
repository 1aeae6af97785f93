package pool

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// A task that panics, in any stage, is not lost and not handed straight back (which would
// redeliver it at once, in a hot loop): its message is retried through the delay queue like
// any transient failure, and dead-lettered with the photo failed once the attempts are spent.
func TestPanickingTaskIsRetriedThenDeadLettered(t *testing.T) {
	t.Parallel()
	for _, stage := range []string{"download", "thumbnail", "write"} {
		t.Run(stage, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, func(c *Config) { c.Retry.MaxAttempts = 2 })
			panicking := &panicky{stage: stage}
			switch stage {
			case "download":
				b.pool.fetch = panicking
			case "thumbnail":
				b.pool.thumbnailer = panicking
			case "write":
				panicking = &b.store.complete
			}
			panicking.left.Store(2) // the first two attempts panic
			id := uuid.New()

			b.deliver(id, false)
			if got := b.next(t); got.published != "retry" || !strings.Contains(got.reason, "internal error") {
				t.Fatalf("attempt 1 panicked and was settled with %+v, want a retry", got)
			}
			if p := b.store.get(id); !strings.Contains(p.reason, "internal error") || !p.waiting {
				t.Errorf("photo after the panic: %+v, want waiting for a retry, with the panic as reason", p)
			}

			// MaxAttempts is 2: the second panic is the last attempt.
			b.store.put(id, fakePhoto{status: "pending", attempts: 1}) // the retry is due
			b.deliver(id, false)
			if got := b.next(t); got.published != "dead-letter" || !strings.Contains(got.reason, "panic in "+stage) {
				t.Fatalf("attempt 2 panicked and was settled with %+v, want a dead letter", got)
			}
			if p := b.store.get(id); p.status != "failed" || !strings.Contains(p.reason, "panic in "+stage) {
				t.Errorf("photo %+v, want failed with the panic as reason", p)
			}
			if n := counterValue(t, b.metrics.TaskPanics); n != 2 {
				t.Errorf("photoproc_task_panics_total = %v, want 2", n)
			}

			// Once the panic is gone, a photo completes.
			other := uuid.New()
			b.deliver(other, false)
			if got := b.next(t); got.how != "ack" || got.published != "" {
				t.Fatalf("a task that did not panic was settled with %+v, want an ack", got)
			}
			if p := b.store.get(other); p.status != "completed" {
				t.Errorf("photo %+v, want completed", p)
			}
		})
	}
}
