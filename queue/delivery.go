package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Delivery is one photo message handed to a Consumer's callback. It must be settled exactly
// once, with Ack, Requeue or DeadLetter; it settles on the channel that delivered it, so after
// a reconnect a stale delivery fails to settle (the broker redelivers it) instead of settling
// some other message. Settling twice returns ErrSettled. PublishRetry and PublishDeadLetter
// publish a copy of it elsewhere without settling it: the caller acks once the copy is
// confirmed and its outcome recorded.
type Delivery struct {
	PhotoUUID uuid.UUID
	// Attempt is the attempt number the message's x-photoproc-attempt header carries, from 1
	// (absent: 1). It is what the sender counted, for logs; the attempts a photo has had are
	// counted by the pool, in the database, where a crash does not lose them.
	Attempt     int
	Redelivered bool   // the broker delivered it before to a consumer that did not settle it
	Reason      string // why the previous attempt failed, if it did (x-photoproc-reason)

	raw     amqp.Delivery
	pub     *Publisher
	cfg     Config
	settled atomic.Bool
}

// Photo is the photo the message is about.
func (d *Delivery) Photo() uuid.UUID { return d.PhotoUUID }

// Redelivery reports whether the broker delivered this message before without it being settled.
func (d *Delivery) Redelivery() bool { return d.Redelivered }

// Ack tells the broker the message is done with (basic.ack, never multiple).
func (d *Delivery) Ack() error {
	if !d.settled.CompareAndSwap(false, true) {
		return ErrSettled
	}
	return settleErr("ack", d.raw.Ack(false))
}

// Requeue hands the message back to the queue (basic.nack with requeue); another consumer
// may take it at once.
func (d *Delivery) Requeue() error {
	if !d.settled.CompareAndSwap(false, true) {
		return ErrSettled
	}
	return settleErr("requeue", d.raw.Nack(false, true))
}

// PublishRetry publishes a copy of the message, for attempt+1 with reason in its headers, to
// come back to the work queue after wait (the retry policy's, retry.Policy.Wait), through the
// shortest delay queue that holds it that long, and waits for the broker's confirm. It does
// not settle this delivery: Ack it once the retry is recorded and confirmed.
func (d *Delivery) PublishRetry(ctx context.Context, reason string, attempt int, wait time.Duration) error {
	if d.settled.Load() {
		return ErrSettled
	}
	delay := retryDelayFor(d.cfg, wait)
	msg := d.copy(amqp.Table{
		HeaderAttempt: int32(attempt + 1),
		HeaderReason:  truncate(reason, maxReason),
	})
	msg.Expiration = strconv.FormatInt(min(max(wait, 0), delay).Milliseconds(), 10)
	if err := d.pub.publishOne(ctx, RetryQueue(d.cfg, delay), msg); err != nil {
		return fmt.Errorf("publish retry: %w", err)
	}
	return nil
}

// PublishDeadLetter publishes a copy of the message to <queue>.dead with the reason and the
// number of attempts in headers, and waits for the confirm. It does not settle this delivery.
func (d *Delivery) PublishDeadLetter(ctx context.Context, reason string, attempts int) error {
	if d.settled.Load() {
		return ErrSettled
	}
	msg := d.copy(amqp.Table{
		HeaderAttempt:  int32(attempts),
		HeaderAttempts: int32(attempts),
		HeaderReason:   truncate(reason, maxReason),
	})
	if err := d.pub.publishOne(ctx, DeadQueue(d.cfg), msg); err != nil {
		return fmt.Errorf("publish dead letter: %w", err)
	}
	return nil
}

// DeadLetter gives up on the message: PublishDeadLetter with the attempt its header carries,
// then Ack. If the publish fails it returns the error and leaves the delivery unsettled.
func (d *Delivery) DeadLetter(ctx context.Context, reason string) error {
	if err := d.PublishDeadLetter(ctx, reason, d.Attempt); err != nil {
		return err
	}
	if err := d.Ack(); err != nil {
		return fmt.Errorf("dead-lettered, but %w", err)
	}
	return nil
}

// copy is a new persistent message with this delivery's body byte for byte, so that even a
// body that could not be parsed reaches the dead-letter queue as it came.
func (d *Delivery) copy(headers amqp.Table) amqp.Publishing {
	msg := publishing(d.raw.Body, headers)
	if d.raw.ContentType != "" {
		msg.ContentType = d.raw.ContentType
	}
	return msg
}

func settleErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, amqp.ErrClosed):
		return fmt.Errorf("%s: channel gone, the broker will redeliver: %w: %w", op, ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}
