package queue

import (
	"context"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// settleTimeout bounds dead-lettering a malformed message.
const settleTimeout = 15 * time.Second

// dispatch hands one delivery to handle, unless the subscription was cancelled by us (it goes
// back to the queue) or the message is malformed (it is dead-lettered).
func (c *Consumer) dispatch(ctx context.Context, sub *subscription, raw amqp.Delivery, handle func(*Delivery)) {
	if c.isCancelled(sub) {
		_ = raw.Nack(false, true)
		return
	}
	d := &Delivery{
		Attempt:     attemptOf(raw.Headers),
		Redelivered: raw.Redelivered,
		Reason:      reasonOf(raw.Headers),
		raw:         raw,
		pub:         c.pub,
		cfg:         c.cfg,
	}
	id, err := decodeBody(raw.Body)
	if err != nil {
		c.rejectMalformed(ctx, d, err)
		return
	}
	d.PhotoUUID = id
	handle(d)
}

// rejectMalformed dead-letters a message no worker could use. If that fails (the publisher is
// down, or the broker blocks publishing) the message goes back to the queue, and consuming
// waits until a publish could go, with a growing delay, so that a bad message does not spin
// between the queue and here.
func (c *Consumer) rejectMalformed(ctx context.Context, d *Delivery, cause error) {
	reason := "malformed message: " + cause.Error()
	c.log.Warn("dead-lettering malformed message", "reason", reason, "message_id", d.raw.MessageId)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	err := d.DeadLetter(sctx, reason)
	if err == nil {
		return
	}
	c.log.Error("cannot dead-letter malformed message; handing it back", "err", err)
	if err := d.Requeue(); err != nil {
		c.log.Warn("requeue failed; the broker will redeliver", "err", err)
	}
	b := newBackoff(c.cfg.ReconnectMin, c.cfg.ReconnectMax)
	for {
		if !sleep(ctx, c.sess.ctx.Done(), b.delay()) || c.pub.CanPublish() == nil {
			return
		}
	}
}
