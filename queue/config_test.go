package queue

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	t.Parallel()
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; none means valid
	}{
		{"quorum", func(c *Config) { c.QueueType = Quorum }, nil},
		{"one delay queue", func(c *Config) { c.RetryDelays = c.RetryDelays[:1] }, nil},
		{"bad uri", func(c *Config) { c.URI = "http://x" }, []string{"AMQP URI"}},
		{"bad type", func(c *Config) { c.QueueType = "stream" }, []string{`queue type "stream": must be classic or quorum`}},
		{"no queue", func(c *Config) { c.Queue = "" }, []string{`queue name "": must be set`}},
		{"long queue", func(c *Config) { c.Queue = strings.Repeat("q", 250) }, []string{"too long"}},
		{"prefetch", func(c *Config) { c.Prefetch = 0 }, []string{"prefetch"}},
		{"channels", func(c *Config) { c.PublishChannels = 0 }, []string{"publish channels"}},
		{"no delays", func(c *Config) { c.RetryDelays = nil }, []string{"retry delays: none"}},
		{"delay too short", func(c *Config) { c.RetryDelays = []time.Duration{time.Microsecond} }, []string{"retry delays [1µs]: want whole milliseconds from 1ms"}},
		{"delays out of order", func(c *Config) { c.RetryDelays = []time.Duration{2 * time.Second, time.Second} }, []string{"shortest first"}},
		{"delivery limit", func(c *Config) { c.DeliveryLimit = 0 }, []string{"delivery limit"}},
		{"connection name", func(c *Config) { c.ConnectionName = "" }, []string{"connection name"}},
		{"heartbeat", func(c *Config) { c.Heartbeat = 0 }, []string{"heartbeat"}},
		{"dial timeout", func(c *Config) { c.DialTimeout = 0 }, []string{"dial timeout"}},
		{"reconnect", func(c *Config) { c.ReconnectMax = c.ReconnectMin / 2 }, []string{"reconnect backoff"}},
		{"all problems at once", func(c *Config) {
			c.Prefetch, c.Heartbeat, c.QueueType = -1, 0, "x"
		}, []string{"prefetch", "heartbeat", "queue type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate: no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
