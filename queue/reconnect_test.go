package queue_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
)

// The broker force-closes both connections while deliveries are held and publishes are in
// flight. Both sides reconnect; held deliveries cannot be acked on the dead channel and come
// back redelivered; every confirmed message is consumed; nothing is left over.
func TestReconnectAfterConnectionsAreForceClosed(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	bundle.cfg.Prefetch = 50
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)

	held := newIDs(3)
	publish(t, pub, held...)
	var heldDeliveries []*queue.Delivery
	for range held {
		heldDeliveries = append(heldDeliveries, cons.next(t))
	}

	// Keep publishing meanwhile (a batch every few milliseconds, to spare the shared broker),
	// keeping what the broker confirmed.
	var published atomic.Int64
	stopPublishing := make(chan struct{})
	confirmedCh := make(chan []uuid.UUID)
	go func() {
		var confirmed []uuid.UUID
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopPublishing:
				confirmedCh <- confirmed
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), testkit.WaitTimeout)
			got, _ := pub.Publish(ctx, newIDs(5))
			cancel()
			confirmed = append(confirmed, got...)
			published.Add(int64(len(got)))
		}
	}()
	testkit.Eventually(t, "publishes to be confirmed", func() bool { return published.Load() > 0 })

	queuetest.CloseConnections(t, bundle.cfg.ConnectionName)

	// Everything that arrives is acked at once. A delivery that came on the old connection
	// cannot be acked any more: the broker redelivers it.
	consumed := map[uuid.UUID]int{}
	ack := func(d *queue.Delivery) {
		t.Helper()
		switch err := d.Ack(); {
		case err == nil:
			consumed[d.PhotoUUID]++
		case !errors.Is(err, queue.ErrUnavailable):
			t.Fatalf("Ack: %v", err)
		}
	}
	// The held messages come back, redelivered, on the new connection.
	redelivered := 0
	for redelivered < len(held) {
		d := cons.next(t)
		if slices.Contains(held, d.PhotoUUID) {
			if !d.Redelivered {
				t.Errorf("held message %s came back without Redelivered", d.PhotoUUID)
			}
			redelivered++
		}
		ack(d)
	}
	for _, d := range heldDeliveries {
		if err := d.Ack(); !errors.Is(err, queue.ErrUnavailable) {
			t.Errorf("Ack of a delivery from the dead channel = %v, want ErrUnavailable", err)
		}
	}

	// The publisher is back too: a later publish is confirmed.
	after := uuid.New()
	testkit.Eventually(t, "a publish after the reconnect to be confirmed", func() bool {
		got, _ := pub.Publish(waitCtx(t), []uuid.UUID{after})
		return len(got) == 1
	})
	close(stopPublishing)
	want := append(<-confirmedCh, after)

	for _, id := range want {
		for consumed[id] == 0 {
			ack(cons.next(t))
		}
	}
	for _, id := range held {
		if consumed[id] != 1 {
			t.Errorf("held message %s consumed %d times after the reconnect, want once", id, consumed[id])
		}
	}

	// Settle whatever else arrived (publishes whose confirm was lost with the connection),
	// then nothing may be left in the queue.
	if err := cons.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for len(cons.got) > 0 {
		ack(<-cons.got)
	}
	if err := cons.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st := stats(t, pub); st.Messages != 0 {
		t.Errorf("%d messages left in the queue, want 0", st.Messages)
	}

	out := bundle.logs.String()
	for _, line := range []string{"broker connection lost", "broker connection re-established"} {
		if n := strings.Count(out, line); n != 2 {
			t.Errorf("%q logged %d times, want once per connection (2)", line, n)
		}
	}
	if strings.Contains(out, "consuming failed") {
		t.Error("a consumer channel failed: something was settled twice")
	}
	t.Logf("%d messages confirmed while the connections were closed and reopened", len(want))
}

func TestConsumerWaitsForTheBroker(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	down := bundle.cfg
	down.URI = "amqp://guest:guest@" + unusedAddr(t) + "/"
	c, err := queue.NewConsumer(down, pub, bundle.log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx, func(*queue.Delivery) { t.Error("delivery with no broker") }) }()
	if c.Connected() {
		t.Error("Connected() with no broker")
	}
	cancel()
	if err := testkit.Receive(t, done, "Run to return after cancel"); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}
