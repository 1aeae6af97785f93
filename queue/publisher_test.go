package queue_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
)

func TestPublishMessageFormat(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	id := uuid.New()

	publish(t, pub, id)

	m, ok := queuetest.Get(t, bundle.cfg.URI, bundle.cfg.Queue)
	if !ok {
		t.Fatal("work queue is empty after a confirmed publish")
	}
	if got, want := string(m.Body), `{"photo_uuid":"`+id.String()+`"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if m.DeliveryMode != amqp.Persistent {
		t.Errorf("delivery mode = %d, want persistent (2)", m.DeliveryMode)
	}
	if m.ContentType != "application/json" {
		t.Errorf("content type = %q, want application/json", m.ContentType)
	}
	if m.Exchange != "" || m.RoutingKey != bundle.cfg.Queue {
		t.Errorf("published to exchange %q key %q, want the default exchange and key %q", m.Exchange, m.RoutingKey, bundle.cfg.Queue)
	}
	if _, ok := m.Headers[queue.HeaderAttempt]; ok {
		t.Errorf("a first publish carries %s; absent means attempt 1", queue.HeaderAttempt)
	}
}

func TestPublishReturnsTheConfirmedIDs(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	bundle.cfg.PublishChannels = 2
	pub := bundle.publisher(t)

	// More than one batch, from more callers than there are channels.
	batches := [][]uuid.UUID{newIDs(1), newIDs(300), newIDs(7), newIDs(600)}
	errs := make(chan error, len(batches))
	for _, ids := range batches {
		go func() {
			got, err := pub.Publish(context.Background(), ids)
			if err == nil && !slices.Equal(got, ids) {
				err = errors.New("confirmed ids differ from the published ones")
			}
			errs <- err
		}()
	}
	for range batches {
		if err := <-errs; err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if got, err := pub.Publish(waitCtx(t), nil); err != nil || len(got) != 0 {
		t.Errorf("Publish(nothing) = %v, %v", got, err)
	}
	testkit.Eventually(t, "every message to be in the queue", func() bool { return stats(t, pub).Messages == 908 })
}

// A message the broker cannot route (its queue was deleted) is acked by the broker but
// returned first: it must not be reported confirmed. The publisher then redeclares its
// topology, so publishing again works.
func TestPublishDoesNotConfirmReturnedMessages(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	publish(t, pub, uuid.New()) // a pooled channel exists

	deleteQueue(t, bundle.cfg.URI, bundle.cfg.Queue)
	got, err := pub.Publish(waitCtx(t), newIDs(3))
	if !errors.Is(err, queue.ErrUnroutable) || len(got) != 0 {
		t.Fatalf("Publish to a deleted queue = %v, %v; want nothing confirmed and ErrUnroutable", got, err)
	}

	ids := newIDs(2)
	publish(t, pub, ids...)
	if st := stats(t, pub); st.Messages != 2 {
		t.Errorf("queue holds %d messages after redeclaring, want 2", st.Messages)
	}
}

func TestPublishFailsFastWhenBrokerIsDown(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	bundle.cfg.URI = "amqp://guest:guest@" + unusedAddr(t) + "/"
	pub, err := queue.NewPublisher(bundle.cfg, bundle.log)
	if err != nil {
		t.Fatalf("NewPublisher with the broker down: %v", err)
	}
	defer func() {
		if err := pub.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()

	// No deadline: if Publish waited for the broker, the test would hang rather than pass.
	got, err := pub.Publish(context.Background(), newIDs(2))
	if !errors.Is(err, queue.ErrUnavailable) || len(got) != 0 {
		t.Fatalf("Publish = %v, %v; want nothing and ErrUnavailable", got, err)
	}
	if pub.Connected() {
		t.Error("Connected() with no broker")
	}
	if _, err := pub.QueueStats(context.Background()); !errors.Is(err, queue.ErrUnavailable) {
		t.Errorf("QueueStats = %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pub.WaitConnected(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitConnected = %v, want context.Canceled", err)
	}
	testkit.Eventually(t, "the outage to be logged", func() bool { return bundle.logs.Count("cannot connect to the broker") > 0 })
}

func TestPublishAfterClose(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub, err := queue.NewPublisher(bundle.cfg, bundle.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.WaitConnected(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := pub.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	got, err := pub.Publish(context.Background(), newIDs(1))
	if !errors.Is(err, queue.ErrClosed) || !errors.Is(err, queue.ErrUnavailable) || len(got) != 0 {
		t.Errorf("Publish after Close = %v, %v; want ErrClosed and ErrUnavailable", got, err)
	}
	if err := pub.WaitConnected(context.Background()); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("WaitConnected after Close = %v, want ErrClosed", err)
	}
	if pub.Connected() {
		t.Error("Connected() after Close")
	}
}

func TestQueueStats(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	// The delay queue's own TTL caps the message's: with the test backoff (20ms) the retry
	// message would be back in the work queue before the stats are read.
	bundle.cfg.RetryDelays = []time.Duration{time.Hour}
	queuetest.Cleanup(t, bundle.cfg)
	pub := bundle.publisher(t)
	publish(t, pub, newIDs(3)...)
	queuetest.Publish(t, bundle.cfg.URI, queue.DeadQueue(bundle.cfg), amqp.Publishing{Body: []byte("x")})
	queuetest.Publish(t, bundle.cfg.URI, queue.RetryQueue(bundle.cfg, time.Hour), amqp.Publishing{Body: []byte("y"), Expiration: "600000"})

	st := stats(t, pub)
	want := queue.QueueStats{Queue: bundle.cfg.Queue, Messages: 3, DeadMessages: 1, RetryMessages: 1}
	if st != want {
		t.Errorf("QueueStats = %+v, want %+v", st, want)
	}
}

func deleteQueue(t *testing.T, uri, name string) {
	t.Helper()
	conn, err := amqp.Dial(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDelete(name, false, false, false); err != nil {
		t.Fatalf("delete %s: %v", name, err)
	}
}

// unusedAddr is a local address nothing listens on.
func unusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestPublishWithEndedContext(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := pub.Publish(ctx, newIDs(3))
	if !errors.Is(err, context.Canceled) || len(got) != 0 {
		t.Fatalf("Publish with a cancelled context = %v, %v; want nothing and context.Canceled", got, err)
	}
	publish(t, pub, newIDs(3)...)
	if st := stats(t, pub); st.Messages != 3 {
		t.Errorf("queue holds %d messages, want only the 3 confirmed", st.Messages)
	}
}

// Close lets a Publish under way finish, all of its batches: it is confirmed in full, or, if
// Close came first, refused in full.
func TestCloseWaitsForPublishesUnderWay(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub, err := queue.NewPublisher(bundle.cfg, bundle.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.WaitConnected(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	ids := newIDs(1000)
	type result struct {
		got []uuid.UUID
		err error
	}
	done := make(chan result)
	go func() {
		got, err := pub.Publish(context.Background(), ids)
		done <- result{got, err}
	}()
	if err := pub.Close(waitCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r := <-done
	switch {
	case r.err == nil && slices.Equal(r.got, ids):
		t.Log("Publish finished before Close")
	case errors.Is(r.err, queue.ErrClosed) && len(r.got) == 0:
		t.Log("Close came first")
	default:
		t.Fatalf("Publish during Close = %d confirmed, %v; want all or, refused, none", len(r.got), r.err)
	}
}
