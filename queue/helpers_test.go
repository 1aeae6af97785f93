package queue_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
)

// waitTimeout guards every wait on the broker, so that a bug fails the test instead of hanging
// it; it is a safety net, not a timing assertion.
const waitTimeout = 20 * time.Second

// logs collects a component's log lines, for assertions, and copies them to the test output.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLogger(t *testing.T) (*slog.Logger, *logs) {
	t.Helper()
	l := &logs{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", l)
		}
	})
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})), l
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newPublisher returns a connected publisher, closed when the test ends.
func newPublisher(t *testing.T, cfg queue.Config, log *slog.Logger) *queue.Publisher {
	t.Helper()
	pub, err := queue.NewPublisher(cfg, log)
	if err != nil {
		t.Fatalf("NewPublisher: %v", err)
	}
	t.Cleanup(func() {
		if err := pub.Close(context.Background()); err != nil {
			t.Errorf("close publisher: %v", err)
		}
	})
	if err := pub.WaitConnected(waitCtx(t)); err != nil {
		t.Fatalf("publisher never connected: %v", err)
	}
	return pub
}

// running is a consumer whose Run feeds got.
type running struct {
	*queue.Consumer
	got  chan *queue.Delivery
	stop func() error // cancels Run and returns its result
}

// startConsumer runs a consumer that passes every delivery to got without settling it.
func startConsumer(t *testing.T, cfg queue.Config, pub *queue.Publisher, log *slog.Logger) *running {
	t.Helper()
	c, err := queue.NewConsumer(cfg, pub, log)
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	r := &running{Consumer: c, got: make(chan *queue.Delivery, 1000)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, func(d *queue.Delivery) { r.got <- d }) }()
	var once sync.Once
	var runErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("close consumer: %v", err)
		}
	})
	return r
}

// next waits for the next delivery.
func (r *running) next(t *testing.T) *queue.Delivery {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(waitTimeout):
		t.Fatal("no delivery")
		return nil
	}
}

// eventually polls cond until it holds, failing the test after waitTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		<-tick.C
	}
}

// stats reads QueueStats or fails the test.
func stats(t *testing.T, pub *queue.Publisher) queue.QueueStats {
	t.Helper()
	st, err := pub.QueueStats(waitCtx(t))
	if err != nil {
		t.Fatalf("QueueStats: %v", err)
	}
	return st
}

// publish publishes ids and fails the test unless all are confirmed.
func publish(t *testing.T, pub *queue.Publisher, ids ...uuid.UUID) {
	t.Helper()
	got, err := pub.Publish(waitCtx(t), ids)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("Publish(%d) confirmed %d: %v", len(ids), len(got), err)
	}
}

func newIDs(n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	return ids
}

// getOne takes one message off a queue, waiting for it to arrive.
func getOne(t *testing.T, cfg queue.Config, name string) amqp.Delivery {
	t.Helper()
	var d amqp.Delivery
	eventually(t, "a message is in "+name, func() bool {
		var ok bool
		d, ok = queuetest.Get(t, cfg.URI, name)
		return ok
	})
	return d
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
