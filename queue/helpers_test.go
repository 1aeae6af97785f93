package queue_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
)

// bundle is what a queue test needs: queues of its own (unique names, deleted when the test
// ends) and a logger on the test's output whose lines the test can assert on. A test may
// change cfg before it asks for a publisher or a consumer, which use it.
type bundle struct {
	cfg  queue.Config
	log  *slog.Logger
	logs *testkit.Buffer
}

func setup(t *testing.T) *bundle {
	t.Helper()
	logs := &testkit.Buffer{}
	return &bundle{cfg: queuetest.Config(t), log: testkit.Logger(t, slog.LevelDebug, logs), logs: logs}
}

// waitCtx bounds one call to the broker, so that a bug fails the test instead of hanging it.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testkit.WaitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// publisher returns a connected publisher on the test's config. It is closed when the test
// ends, and that Close must succeed: here the publisher is what is under test.
func (b *bundle) publisher(t *testing.T) *queue.Publisher {
	t.Helper()
	pub := queuetest.Publisher(t, b.cfg, b.log)
	// Runs before queuetest's own Close, which then finds the publisher closed.
	t.Cleanup(func() {
		if err := pub.Close(context.Background()); err != nil {
			t.Errorf("close publisher: %v", err)
		}
	})
	return pub
}

// running is a consumer whose Run feeds got.
type running struct {
	*queue.Consumer
	got  chan *queue.Delivery
	stop func() error // cancels Run and returns its result
}

// consume runs a consumer on the test's config that passes every delivery to got without
// settling it.
func (b *bundle) consume(t *testing.T, pub *queue.Publisher) *running {
	t.Helper()
	c, err := queue.NewConsumer(b.cfg, pub, b.log)
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
	return testkit.Receive(t, r.got, "a delivery")
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
	testkit.Eventually(t, "a message in "+name, func() bool {
		var ok bool
		d, ok = queuetest.Get(t, cfg.URI, name)
		return ok
	})
	return d
}
