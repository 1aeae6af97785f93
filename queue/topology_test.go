package queue

import (
	"math"
	"slices"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/retry"
)

func TestQueueNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"defaults", func(*Config) {}, []string{
			"photo-processor.dead", "photo-processor",
			"photo-processor.retry.1s", "photo-processor.retry.2s", "photo-processor.retry.4s", "photo-processor.retry.8s",
			"photo-processor.retry.16s", "photo-processor.retry.32s", "photo-processor.retry.1m4s", "photo-processor.retry.2m8s",
			"photo-processor.retry.4m16s", "photo-processor.retry.5m0s",
		}},
		{"one delay", func(c *Config) { c.RetryDelays = c.RetryDelays[:1] }, []string{
			"photo-processor.dead", "photo-processor", "photo-processor.retry.1s",
		}},
		{"capped steps share a queue", func(c *Config) {
			c.Queue, c.RetryDelays = "q", retry.Policy{Backoff: 500 * time.Millisecond, BackoffMax: 3 * time.Second}.Delays()
		}, []string{"q.dead", "q", "q.retry.500ms", "q.retry.1s", "q.retry.2s", "q.retry.3s"}},
		{"the shortest and longest delays allowed", func(c *Config) {
			c.Queue, c.RetryDelays = "q", retry.Policy{Backoff: time.Millisecond, BackoffMax: time.Duration(math.MaxUint32) * time.Millisecond}.Delays()
		}, nil}, // checked by length below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tt.change(&cfg)
			got := QueueNames(cfg)
			if tt.want == nil {
				if len(got) != 2+33 {
					t.Errorf("QueueNames = %d queues, want 35: one delay queue per doubling from 1ms to 49 days", len(got))
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("QueueNames = %q, want %q", got, tt.want)
			}
		})
	}
}

// A retry goes to the shortest delay queue that holds it as long as it waits: the queue of its
// step's delay, since the policy's wait is that delay jittered down to at most half.
func TestRetryDelayFor(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	for wait, want := range map[time.Duration]time.Duration{
		0: time.Second, 700 * time.Millisecond: time.Second, time.Second: time.Second,
		1500 * time.Millisecond: 2 * time.Second, 3 * time.Minute: 4*time.Minute + 16*time.Second,
		5 * time.Minute: 5 * time.Minute, time.Hour: 5 * time.Minute,
	} {
		if got := retryDelayFor(cfg, wait); got != want {
			t.Errorf("retryDelayFor(%s) = %s, want %s", wait, got, want)
		}
	}
	p := retry.DefaultPolicy()
	for step := 1; step <= 12; step++ {
		for range 50 {
			if w := p.Wait(step); retryDelayFor(cfg, w) > p.Delay(step) {
				t.Fatalf("step %d waiting %s goes to the %s queue, longer than its delay %s", step, w, retryDelayFor(cfg, w), p.Delay(step))
			}
		}
	}
}

func TestTopologyArguments(t *testing.T) {
	t.Parallel()
	classic := DefaultConfig()
	quorum := DefaultConfig()
	quorum.QueueType = Quorum
	tests := []struct {
		name  string
		cfg   Config
		queue string
		want  amqp.Table
	}{
		// No arguments at all: the Python service declared it durable with none.
		{"classic main", classic, "photo-processor", nil},
		{"classic dead", classic, "photo-processor.dead", nil},
		{"classic retry", classic, "photo-processor.retry.2s", amqp.Table{
			"x-message-ttl": int64(2000), "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "photo-processor",
		}},
		{"quorum main", quorum, "photo-processor", amqp.Table{
			"x-queue-type": "quorum", "x-delivery-limit": int32(20),
			"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "photo-processor.dead",
		}},
		{"quorum dead", quorum, "photo-processor.dead", amqp.Table{"x-queue-type": "quorum"}},
		{"quorum retry", quorum, "photo-processor.retry.1s", amqp.Table{
			"x-queue-type": "quorum", "x-message-ttl": int64(1000),
			"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "photo-processor",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			i := slices.IndexFunc(topology(tt.cfg), func(s queueSpec) bool { return s.name == tt.queue })
			if i < 0 {
				t.Fatalf("no queue %s in topology", tt.queue)
			}
			got := topology(tt.cfg)[i].args
			if (got == nil) != (tt.want == nil) || len(got) != len(tt.want) {
				t.Fatalf("args = %#v, want %#v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("args[%s] = %#v, want %#v", k, got[k], v)
				}
			}
		})
	}
}
