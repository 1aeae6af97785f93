package queue_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
)

func TestConsumeRoundTrip(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	ids := newIDs(5)

	publish(t, pub, ids...)

	var got []uuid.UUID
	for range ids {
		d := cons.next(t)
		if d.Attempt != 1 || d.Redelivered || d.Reason != "" {
			t.Errorf("first delivery: attempt %d, redelivered %v, reason %q", d.Attempt, d.Redelivered, d.Reason)
		}
		if d.Photo() != d.PhotoUUID || d.Redelivery() != d.Redelivered {
			t.Error("accessor methods disagree with the fields")
		}
		if err := d.Ack(); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		got = append(got, d.PhotoUUID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("consumed %v, want %v", got, ids)
	}
	if !cons.Connected() {
		t.Error("consumer not Connected")
	}
	testkit.Eventually(t, "the queue to be empty with one consumer", func() bool {
		st := stats(t, pub)
		return st.Messages == 0 && st.Consumers == 1
	})
}

func TestSettleOnlyOnce(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	publish(t, pub, uuid.New())
	d := cons.next(t)

	if err := d.Ack(); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	ctx := waitCtx(t)
	for name, settle := range map[string]func() error{
		"Ack":               d.Ack,
		"Requeue":           d.Requeue,
		"DeadLetter":        func() error { return d.DeadLetter(ctx, "x") },
		"PublishRetry":      func() error { return d.PublishRetry(ctx, "x", 1, time.Millisecond) },
		"PublishDeadLetter": func() error { return d.PublishDeadLetter(ctx, "x", 1) },
	} {
		if err := settle(); !errors.Is(err, queue.ErrSettled) {
			t.Errorf("%s after Ack = %v, want ErrSettled", name, err)
		}
	}
	// A double ack would have made the broker close the channel; it is still consuming.
	publish(t, pub, uuid.New())
	if err := cons.next(t).Ack(); err != nil {
		t.Errorf("Ack on the same channel afterwards: %v", err)
	}
	if st := stats(t, pub); st.DeadMessages != 0 || st.RetryMessages != 0 {
		t.Errorf("refused settlements published something: %+v", st)
	}
}

func TestRequeueRedelivers(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	id := uuid.New()
	publish(t, pub, id)

	if err := cons.next(t).Requeue(); err != nil {
		t.Fatalf("Requeue: %v", err)
	}
	d := cons.next(t)
	if d.PhotoUUID != id || !d.Redelivered || d.Attempt != 1 {
		t.Errorf("after Requeue got %s redelivered=%v attempt=%d; want %s redelivered, attempt 1", d.PhotoUUID, d.Redelivered, d.Attempt, id)
	}
	if err := d.Ack(); err != nil {
		t.Fatal(err)
	}
}

func TestRetryGoesThroughTheDelayQueue(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	id := uuid.New()
	publish(t, pub, id)

	d := cons.next(t)
	for attempt := 1; attempt < 3; attempt++ {
		reason := "attempt " + string(rune('0'+attempt)) + " timed out"
		wait := queuetest.Retry().Wait(attempt)
		if err := d.PublishRetry(waitCtx(t), reason, attempt, wait); err != nil {
			t.Fatalf("PublishRetry on attempt %d: %v", attempt, err)
		}
		// Publishing a copy does not settle the delivery: the caller acks it.
		if err := d.Ack(); err != nil {
			t.Fatalf("Ack after PublishRetry: %v", err)
		}
		d = cons.next(t)
		if d.PhotoUUID != id || d.Attempt != attempt+1 || d.Reason != reason || d.Redelivered {
			t.Fatalf("retried delivery = %s attempt %d reason %q redelivered %v; want %s attempt %d reason %q",
				d.PhotoUUID, d.Attempt, d.Reason, d.Redelivered, id, attempt+1, reason)
		}
	}

	// Any attempt may be retried: later ones share the longest delay queue.
	if err := d.PublishDeadLetter(waitCtx(t), "gave up", 7); err != nil {
		t.Fatalf("PublishDeadLetter: %v", err)
	}
	if err := d.Ack(); err != nil {
		t.Fatal(err)
	}
	m := getOne(t, bundle.cfg, queue.DeadQueue(bundle.cfg))
	if got := m.Headers[queue.HeaderAttempts]; got != int32(7) {
		t.Errorf("%s = %#v, want 7", queue.HeaderAttempts, got)
	}
}

func TestDeadLetter(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	id := uuid.New()
	publish(t, pub, id)
	d := cons.next(t)

	long := strings.Repeat("é", 2000) // reasons are bounded, never split mid-character
	if err := d.DeadLetter(waitCtx(t), long); err != nil {
		t.Fatalf("DeadLetter: %v", err)
	}

	m := getOne(t, bundle.cfg, queue.DeadQueue(bundle.cfg))
	if got, want := string(m.Body), `{"photo_uuid":"`+id.String()+`"}`; got != want {
		t.Errorf("dead body = %s, want %s", got, want)
	}
	reason, _ := m.Headers[queue.HeaderReason].(string)
	if len(reason) == 0 || len(reason) > 1024 || !strings.HasPrefix(long, reason) {
		t.Errorf("dead reason is %d bytes, want a prefix of the reason of at most 1024", len(reason))
	}
	if got := m.Headers[queue.HeaderAttempts]; got != int32(1) {
		t.Errorf("%s = %#v, want 1", queue.HeaderAttempts, got)
	}
	if m.DeliveryMode != amqp.Persistent {
		t.Errorf("dead letter delivery mode %d, want persistent", m.DeliveryMode)
	}
	if st := stats(t, pub); st.Messages != 0 || st.DeadMessages != 0 {
		t.Errorf("after dead-lettering and taking it: %+v, want empty queues", st)
	}
}

func TestMalformedMessagesAreDeadLettered(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	bodies := []string{
		`not json`,
		`{}`,
		`{"photo_uuid":"nope"}`,
		`{"photo_uuid":"00000000-0000-0000-0000-000000000000"}`,
	}
	for _, b := range bodies {
		queuetest.Publish(t, bundle.cfg.URI, bundle.cfg.Queue, amqp.Publishing{Body: []byte(b), DeliveryMode: amqp.Persistent})
	}
	good := uuid.New()
	publish(t, pub, good)
	cons := bundle.consume(t, pub)

	// Deliveries are handled in order, so the malformed ones are dead-lettered by now.
	if d := cons.next(t); d.PhotoUUID != good {
		t.Fatalf("handle got %s, want only the well-formed %s", d.PhotoUUID, good)
	} else if err := d.Ack(); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		m, ok := queuetest.Get(t, bundle.cfg.URI, queue.DeadQueue(bundle.cfg))
		if !ok {
			t.Fatalf("%s: not in the dead-letter queue", b)
		}
		reason, _ := m.Headers[queue.HeaderReason].(string)
		if string(m.Body) != b || !strings.HasPrefix(reason, "malformed message: ") {
			t.Errorf("dead letter body %q reason %q; want body %q and a malformed-message reason", m.Body, reason, b)
		}
	}
	if n := strings.Count(bundle.logs.String(), "dead-lettering malformed message"); n != len(bodies) {
		t.Errorf("logged %d malformed messages, want %d", n, len(bodies))
	}
}

func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	first := uuid.New()
	publish(t, pub, first)
	held := cons.next(t)

	cons.Pause()
	cons.Pause() // idempotent
	if !cons.Paused() {
		t.Fatal("not Paused after Pause")
	}
	testkit.Eventually(t, "the broker to show no consumer", func() bool { return stats(t, pub).Consumers == 0 })
	second := uuid.New()
	publish(t, pub, second)
	if st := stats(t, pub); st.Messages != 1 || st.Consumers != 0 {
		t.Fatalf("while paused: %+v, want the message waiting with no consumer", st)
	}
	if len(cons.got) != 0 {
		t.Fatal("a delivery reached handle while paused")
	}
	if err := held.Ack(); err != nil {
		t.Errorf("Ack of a delivery held across Pause: %v", err)
	}

	cons.Resume()
	cons.Resume()
	if cons.Paused() {
		t.Fatal("Paused after Resume")
	}
	d := cons.next(t)
	if d.PhotoUUID != second {
		t.Fatalf("after Resume got %s, want %s", d.PhotoUUID, second)
	}
	if err := d.Ack(); err != nil {
		t.Fatal(err)
	}
}

// Deliveries the broker sent but handle has not taken yet go back to the queue on Pause.
func TestPauseHandsBackUnhandledDeliveries(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	bundle.cfg.Prefetch = 10
	pub := bundle.publisher(t)
	c, err := queue.NewConsumer(bundle.cfg, pub, bundle.log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids := newIDs(5)
	publish(t, pub, ids...)

	// handle blocks on the first delivery until the consumer is paused: the other four are
	// prefetched meanwhile and must not be handled.
	ctx, cancel := context.WithCancel(context.Background())
	handled := make(chan *queue.Delivery, 10)
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- c.Run(ctx, func(d *queue.Delivery) {
			handled <- d
			<-release
		})
	}()
	first := <-handled
	testkit.Eventually(t, "all five to be delivered", func() bool { return stats(t, pub).Messages == 0 })
	c.Pause()
	close(release)
	testkit.Eventually(t, "four to be back in the queue", func() bool { return stats(t, pub).Messages == 4 })
	if len(handled) != 0 {
		t.Errorf("%d deliveries handled after Pause", len(handled))
	}
	if err := first.Ack(); err != nil {
		t.Errorf("Ack of the held delivery: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestRunStopsConsumingWhenCancelled(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	publish(t, pub, uuid.New())
	held := cons.next(t)

	if err := cons.stop(); err != nil {
		t.Fatalf("Run returned %v, want nil", err)
	}
	if st := stats(t, pub); st.Consumers != 0 {
		t.Errorf("%d consumers after Run returned, want 0", st.Consumers)
	}
	// The caller finishes what it holds after Run returns, on the still open channel.
	if err := held.Ack(); err != nil {
		t.Errorf("Ack after Run returned: %v", err)
	}
	publish(t, pub, uuid.New())
	if st := stats(t, pub); st.Messages != 1 {
		t.Errorf("queue holds %d messages, want 1 (nobody consumes)", st.Messages)
	}
}

// The broker cancels a consumer whose queue is deleted; the consumer declares the queue again
// and goes on.
func TestConsumerSurvivesBrokerCancel(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	testkit.Eventually(t, "the consumer to subscribe", func() bool { return stats(t, pub).Consumers == 1 })

	deleteQueue(t, bundle.cfg.URI, bundle.cfg.Queue)
	testkit.Eventually(t, "the consumer to be back", func() bool {
		st, err := pub.QueueStats(waitCtx(t))
		return err == nil && st.Consumers == 1
	})
	id := uuid.New()
	testkit.Eventually(t, "a publish to be confirmed", func() bool {
		got, _ := pub.Publish(waitCtx(t), []uuid.UUID{id})
		return len(got) == 1
	})
	if d := cons.next(t); d.PhotoUUID != id {
		t.Errorf("got %s, want %s", d.PhotoUUID, id)
	} else if err := d.Ack(); err != nil {
		t.Error(err)
	}
	if !strings.Contains(bundle.logs.String(), "broker cancelled the consumer") {
		t.Error("the broker's cancel was not logged")
	}
}
