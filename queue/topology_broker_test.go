package queue_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
)

const mismatchLog = "queue exists with other arguments than configured"

func TestQuorumQueues(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	bundle.cfg.QueueType = queue.Quorum
	bundle.cfg.DeliveryLimit = 2
	queuetest.Cleanup(t, bundle.cfg)
	pub := bundle.publisher(t)

	// Each queue is a quorum queue: declaring it as a classic one is refused.
	for _, name := range queue.QueueNames(bundle.cfg) {
		if err := declareClassic(t, bundle.cfg.URI, name); err == nil {
			t.Errorf("declaring %s as classic succeeded; want PRECONDITION_FAILED", name)
		}
	}

	cons := bundle.consume(t, pub)
	id := uuid.New()
	publish(t, pub, id)

	// Message TTL works on quorum queues (RabbitMQ 3.10+): retries come back.
	d := cons.next(t)
	if err := d.PublishRetry(waitCtx(t), "flaky", 1, queuetest.Retry().Wait(1)); err != nil {
		t.Fatalf("PublishRetry: %v", err)
	}
	if err := d.Ack(); err != nil {
		t.Fatal(err)
	}
	d = cons.next(t)
	if d.PhotoUUID != id || d.Attempt != 2 || d.Reason != "flaky" {
		t.Fatalf("retried delivery = %s attempt %d reason %q", d.PhotoUUID, d.Attempt, d.Reason)
	}

	if err := d.Ack(); err != nil {
		t.Fatal(err)
	}

	// The broker dead-letters a message handed back more than DeliveryLimit times.
	id = uuid.New()
	publish(t, pub, id)
	d = cons.next(t)
	deliveries := 1
	for {
		if err := d.Requeue(); err != nil {
			t.Fatalf("Requeue: %v", err)
		}
		if deliveries == bundle.cfg.DeliveryLimit+1 {
			break
		}
		d = cons.next(t)
		deliveries++
	}
	m := getOne(t, bundle.cfg, queue.DeadQueue(bundle.cfg))
	if string(m.Body) != `{"photo_uuid":"`+id.String()+`"}` {
		t.Errorf("dead-lettered body %s", m.Body)
	}
	if got := m.Headers["x-first-death-reason"]; got != "delivery_limit" {
		t.Errorf("x-first-death-reason = %v, want delivery_limit", got)
	}
	if len(cons.got) != 0 {
		t.Errorf("delivered again after the delivery limit")
	}
	if strings.Contains(bundle.logs.String(), mismatchLog) {
		t.Error("a freshly declared quorum topology was reported as mismatched")
	}
}

// The Python service declared the queue durable with no arguments (pika's
// queue_declare(durable=True)) and may have left messages in it, in its own JSON spacing.
func TestClassicQueueDeclaredByThePythonService(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	queuetest.Declare(t, bundle.cfg.URI, bundle.cfg.Queue, nil)
	old := uuid.New()
	queuetest.Publish(t, bundle.cfg.URI, bundle.cfg.Queue, amqp.Publishing{
		Body: []byte(`{"photo_uuid": "` + old.String() + `"}`), DeliveryMode: amqp.Persistent,
	})
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	recent := uuid.New()
	publish(t, pub, recent)

	for _, want := range []uuid.UUID{old, recent} {
		d := cons.next(t)
		if d.PhotoUUID != want {
			t.Fatalf("got %s, want %s", d.PhotoUUID, want)
		}
		if err := d.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(bundle.logs.String(), mismatchLog) {
		t.Errorf("the Python service's queue was reported as mismatched:\n%s", bundle.logs)
	}
}

// A queue that exists with other arguments is used as it is and reported once per process,
// however often the topology is declared again.
func TestQueueWithOtherArgumentsIsUsedAndReportedOnce(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	queuetest.Declare(t, bundle.cfg.URI, bundle.cfg.Queue, amqp.Table{"x-max-length": int32(1000)})
	pub := bundle.publisher(t)
	cons := bundle.consume(t, pub)
	for i := range 2 {
		id := uuid.New()
		testkit.Eventually(t, "a publish to be confirmed", func() bool {
			got, _ := pub.Publish(waitCtx(t), []uuid.UUID{id})
			return len(got) == 1
		})
		d := cons.next(t)
		if d.PhotoUUID != id {
			t.Fatalf("got %s, want %s", d.PhotoUUID, id)
		}
		if err := d.Ack(); err != nil {
			t.Fatal(err)
		}
		// Both sides reconnect and declare the topology again.
		queuetest.CloseConnections(t, bundle.cfg.ConnectionName)
		testkit.Eventually(t, "both sides to reconnect", func() bool {
			return strings.Count(bundle.logs.String(), "broker connection re-established") >= 2*(i+1)
		})
	}
	out := bundle.logs.String()
	if n := strings.Count(out, mismatchLog); n != 1 {
		t.Fatalf("mismatch logged %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "queue="+bundle.cfg.Queue) || !strings.Contains(out, "x-max-length") {
		t.Errorf("the mismatch line does not name the queue and the argument:\n%s", out)
	}
}

func TestConsumerNeedsThePublishersTopology(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	pub := bundle.publisher(t)
	other := bundle.cfg
	other.Queue += "-other"
	if _, err := queue.NewConsumer(other, pub, bundle.log); err == nil {
		t.Error("NewConsumer accepted a different queue than its publisher's")
	}
	if _, err := queue.NewConsumer(bundle.cfg, nil, bundle.log); err == nil {
		t.Error("NewConsumer accepted no publisher")
	}
	bad := bundle.cfg
	bad.Prefetch = 0
	if _, err := queue.NewConsumer(bad, pub, bundle.log); err == nil {
		t.Error("NewConsumer accepted an invalid config")
	}
	if _, err := queue.NewPublisher(bad, bundle.log); err == nil {
		t.Error("NewPublisher accepted an invalid config")
	}
}

func declareClassic(t *testing.T, uri, name string) error {
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
	_, err = ch.QueueDeclare(name, true, false, false, false, nil)
	var aerr *amqp.Error
	if err != nil && (!errors.As(err, &aerr) || aerr.Code != amqp.PreconditionFailed) {
		t.Fatalf("declare %s: %v", name, err)
	}
	return err
}
