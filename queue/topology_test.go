package queue

import (
	"math"
	"slices"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
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
		{"one delay", func(c *Config) { c.RetryBackoffMax = c.RetryBackoff }, []string{
			"photo-processor.dead", "photo-processor", "photo-processor.retry.1s",
		}},
		{"capped steps share a queue", func(c *Config) {
			c.Queue, c.RetryBackoff, c.RetryBackoffMax = "q", 500*time.Millisecond, 3*time.Second
		}, []string{"q.dead", "q", "q.retry.500ms", "q.retry.1s", "q.retry.2s", "q.retry.3s"}},
		{"the shortest and longest delays allowed", func(c *Config) {
			c.Queue, c.RetryBackoff, c.RetryBackoffMax = "q", time.Millisecond, time.Duration(math.MaxUint32)*time.Millisecond
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

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	for step, want := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 256 * time.Second,
		10: 5 * time.Minute, 11: 5 * time.Minute, 1000: 5 * time.Minute,
	} {
		if got := RetryDelay(cfg, step); got != want {
			t.Errorf("RetryDelay(step %d) = %s, want %s", step, got, want)
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
