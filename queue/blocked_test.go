package queue

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testkit"
)

// While the broker blocks publishing (a memory or disk alarm), Publish fails at once instead
// of hanging until the caller's deadline, and CanPublish says why. The alarm itself cannot be raised on a shared test
// broker, so the connection.blocked notification is fed in directly.
func TestPublishFailsFastWhileBlocked(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.URI = testURI()
	cfg.Queue = "photoproc-test-" + uuid.NewString()[:12]
	cfg.RetryDelays = cfg.RetryDelays[:1]
	conn := dialTest(t)
	t.Cleanup(func() {
		ch, err := conn.Channel()
		if err != nil {
			t.Error(err)
			return
		}
		defer ch.Close()
		for _, q := range QueueNames(cfg) {
			if _, err := ch.QueueDelete(q, false, false, false); err != nil {
				t.Errorf("delete %s: %v", q, err)
			}
		}
	})
	p, err := NewPublisher(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if err := p.WaitConnected(context.Background()); err != nil {
		t.Fatal(err)
	}

	if err := p.CanPublish(); err != nil {
		t.Fatalf("CanPublish when connected = %v", err)
	}
	p.sess.setBlocked(amqp.Blocking{Active: true, Reason: "low on disk"})
	got, err := p.Publish(context.Background(), []uuid.UUID{uuid.New()})
	if !errors.Is(err, ErrUnavailable) || len(got) != 0 || !strings.Contains(err.Error(), "low on disk") {
		t.Fatalf("Publish while blocked = %v, %v; want ErrUnavailable naming the alarm", got, err)
	}
	if err := p.CanPublish(); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "low on disk") {
		t.Fatalf("CanPublish while blocked = %v; want ErrUnavailable naming the alarm", err)
	}
	p.sess.setBlocked(amqp.Blocking{Active: false})
	if got, err := p.Publish(context.Background(), []uuid.UUID{uuid.New()}); err != nil || len(got) != 1 {
		t.Fatalf("Publish after unblocking = %v, %v", got, err)
	}
	if err := p.CanPublish(); err != nil {
		t.Fatalf("CanPublish after unblocking = %v", err)
	}
}

// A malformed message that cannot be dead-lettered because the broker blocks publishing goes
// back to the queue, and consuming waits until publishing could go again: the message is not
// handed back and forth meanwhile. Once unblocked, it is dead-lettered.
func TestMalformedMessageWaitsWhileBlocked(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.URI = testURI()
	cfg.Queue = "photoproc-test-" + uuid.NewString()[:12]
	cfg.RetryDelays = cfg.RetryDelays[:1]
	cfg.ReconnectMin, cfg.ReconnectMax = 20*time.Millisecond, 200*time.Millisecond
	conn := dialTest(t)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, q := range QueueNames(cfg) {
			if _, err := ch.QueueDelete(q, false, false, false); err != nil {
				t.Errorf("delete %s: %v", q, err)
			}
		}
		_ = ch.Close()
	})
	logs := &testkit.Buffer{}
	log := testkit.Logger(t, slog.LevelInfo, logs)
	p, err := NewPublisher(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if err := p.WaitConnected(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.sess.setBlocked(amqp.Blocking{Active: true, Reason: "low on memory"})
	if err := ch.Publish("", cfg.Queue, false, false, amqp.Publishing{Body: []byte("not json")}); err != nil {
		t.Fatal(err)
	}
	c, err := NewConsumer(cfg, p, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx, func(d *Delivery) { t.Errorf("malformed message handed out: %s", d.raw.Body) })
	}()
	defer func() { stop(); <-done }()

	failed := func() int { return logs.Count("cannot dead-letter malformed message") }
	start := time.Now()
	testkit.Eventually(t, "a failed dead-letter to be logged", func() bool { return failed() > 0 })
	time.Sleep(time.Until(start.Add(time.Second))) // blocked for a second: a duration, not a wait for an event
	if n := failed(); n > 1 {
		t.Errorf("the malformed message went back and forth %d times while publishing was blocked, want once", n)
	}
	p.sess.setBlocked(amqp.Blocking{Active: false})
	testkit.EventuallyWithin(t, time.Minute, "the malformed message to be dead-lettered once publishing was unblocked", func() bool {
		_, ok, err := ch.Get(DeadQueue(cfg), true)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	})
}
