package queue

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testkit"
)

// These tests drive one confirm channel directly, mixing queues in a batch, which Publish
// never does: they prove the per-message bookkeeping of acks, nacks and returns.

func TestConfirmChannelTalliesEachMessage(t *testing.T) {
	t.Parallel()
	conn := dialTest(t)
	open := testQueue(t, conn, nil)
	// A full queue that rejects publishes makes the broker nack.
	full := testQueue(t, conn, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"})
	missing := "photoproc-test-missing-" + uuid.NewString()[:8]
	msg := publishing([]byte(`{}`), nil)

	tests := []struct {
		name    string
		queues  []string
		want    []bool
		wantErr error
	}{
		{"all routed", []string{open, open}, []bool{true, true}, nil},
		{"returned among routed", []string{open, missing, open, missing}, []bool{true, false, true, false}, ErrUnroutable},
		{"nacked among acked", []string{full, full, open, full}, []bool{true, false, true, false}, ErrUnavailable},
	}
	for _, tt := range tests { // sequential: they share the channel, as pooled batches do
		cc, err := openConfirmChannel(conn)
		if err != nil {
			t.Fatal(err)
		}
		batch := make([]outgoing, len(tt.queues))
		for i, q := range tt.queues {
			batch[i] = outgoing{queue: q, msg: msg}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res := cc.publish(ctx, batch)
		cancel()
		if !slices.Equal(res.ok, tt.want) {
			t.Errorf("%s: ok = %v, want %v", tt.name, res.ok, tt.want)
		}
		if !errors.Is(res.err, tt.wantErr) || (tt.wantErr == nil) != (res.err == nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, res.err, tt.wantErr)
		}
		if !res.reusable {
			t.Errorf("%s: channel not reusable after every confirm arrived", tt.name)
		}
		_ = cc.ch.Close()
	}
}

func TestConfirmChannelReportsAClosedChannel(t *testing.T) {
	t.Parallel()
	conn := dialTest(t)
	cc, err := openConfirmChannel(conn)
	if err != nil {
		t.Fatal(err)
	}
	_ = cc.ch.Close()
	res := cc.publish(context.Background(), []outgoing{{queue: testQueue(t, conn, nil), msg: publishing([]byte(`{}`), nil)}})
	if res.ok[0] || res.reusable || !errors.Is(res.err, ErrUnavailable) {
		t.Errorf("publish on a closed channel = %+v, want not ok, not reusable, ErrUnavailable", res)
	}
}

func dialTest(t *testing.T) *amqp.Connection {
	t.Helper()
	testkit.NeedServices(t, "RabbitMQ")
	conn, err := amqp.Dial(testURI())
	if err != nil {
		t.Fatalf("dial broker: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// testQueue declares a queue with a unique name, deleted when the test ends.
func testQueue(t *testing.T, conn *amqp.Connection, args amqp.Table) string {
	t.Helper()
	name := "photoproc-test-" + uuid.NewString()[:12]
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ch, err := conn.Channel()
		if err != nil {
			t.Errorf("delete %s: %v", name, err)
			return
		}
		defer ch.Close()
		if _, err := ch.QueueDelete(name, false, false, false); err != nil {
			t.Errorf("delete %s: %v", name, err)
		}
	})
	return name
}

// testURI is the broker for this package's internal tests (queuetest, which the external tests
// use, imports this package and so cannot be imported here).
func testURI() string {
	if uri := os.Getenv("PHOTOPROC_TEST_AMQP_URI"); uri != "" {
		return uri
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}
