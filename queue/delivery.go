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
// once, with Ack, Requeue, Retry or DeadLetter; it settles on the channel that delivered it,
// so after a reconnect a stale delivery fails to settle (the broker redelivers it) instead of
// settling some other message. Settling twice returns ErrSettled.
type Delivery struct {
	PhotoUUID   uuid.UUID
	Attempt     int    // which attempt this is, from 1 (the x-photoproc-attempt header)
	Redelivered bool   // the broker delivered it before to a consumer that did not settle it
	Reason      string // why the previous attempt failed, if it did (x-photoproc-reason)

	raw     amqp.Delivery
	pub     *Publisher
	cfg     Config
	settled atomic.Bool
}

// Photo is the photo the message is about.
func (d *Delivery) Photo() uuid.UUID { return d.PhotoUUID }

// Attempts is which attempt this delivery is, from 1.
func (d *Delivery) Attempts() int { return d.Attempt }

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

// Retry schedules another attempt: it publishes a copy (attempt+1, with reason) to the delay
// queue of step Attempt, expiring after a jittered delay that it returns, waits for the
// broker's confirm, and only then acks this delivery. If the publish fails it returns the
// error and leaves the delivery unsettled, for the caller to Requeue. On the last attempt it
// returns ErrNoRetryLeft: dead-letter instead.
func (d *Delivery) Retry(ctx context.Context, reason string) (time.Duration, error) {
	if d.settled.Load() {
		return 0, ErrSettled
	}
	if d.Attempt >= d.cfg.MaxAttempts {
		return 0, fmt.Errorf("retry after attempt %d of %d: %w", d.Attempt, d.cfg.MaxAttempts, ErrNoRetryLeft)
	}
	delay := RetryDelay(d.cfg, d.Attempt)
	wait := jitter(delay).Truncate(time.Millisecond)
	msg := d.copy(amqp.Table{
		HeaderAttempt: int32(d.Attempt + 1),
		HeaderReason:  truncate(reason, maxReason),
	})
	msg.Expiration = strconv.FormatInt(wait.Milliseconds(), 10)
	if err := d.pub.publishOne(ctx, RetryQueue(d.cfg, delay), msg); err != nil {
		return 0, fmt.Errorf("retry: %w", err)
	}
	if err := d.Ack(); err != nil {
		return wait, fmt.Errorf("retry queued, but %w", err)
	}
	return wait, nil
}

// DeadLetter gives up on the message: it publishes a copy to <queue>.dead with the reason and
// the number of attempts in headers, waits for the confirm, then acks this delivery. If the
// publish fails it returns the error and leaves the delivery unsettled.
func (d *Delivery) DeadLetter(ctx context.Context, reason string) error {
	if d.settled.Load() {
		return ErrSettled
	}
	msg := d.copy(amqp.Table{
		HeaderAttempt:  int32(d.Attempt),
		HeaderAttempts: int32(d.Attempt),
		HeaderReason:   truncate(reason, maxReason),
	})
	if err := d.pub.publishOne(ctx, DeadQueue(d.cfg), msg); err != nil {
		return fmt.Errorf("dead-letter: %w", err)
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
