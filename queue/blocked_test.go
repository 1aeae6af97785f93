package queue

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// While the broker blocks publishing (a memory or disk alarm), Publish fails at once instead
// of hanging until the caller's deadline, and CanPublish says why. The alarm itself cannot be raised on a shared test
// broker, so the connection.blocked notification is fed in directly.
func TestPublishFailsFastWhileBlocked(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.URI = testURI()
	cfg.Queue = "photoproc-test-" + uuid.NewString()[:12]
	cfg.RetryBackoffMax = cfg.RetryBackoff
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
