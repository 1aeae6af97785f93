package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// subscription is one basic.consume on one channel.
type subscription struct {
	ch  *amqp.Channel
	tag string
	// cancelled is set (under Consumer.mu) when we cancel it, to pause or stop: deliveries
	// still arriving for it are handed back instead of handled.
	cancelled bool
}

// cancel sends basic.cancel and waits for cancel-ok, after which the library closes the
// delivery channel. An error means the channel is gone, which ends the consumer too.
func (s *subscription) cancel() {
	if s != nil {
		_ = s.ch.Cancel(s.tag, false)
	}
}

// cancelSub cancels the active subscription, if any, as ours: to pause or to stop.
func (c *Consumer) cancelSub() {
	c.mu.Lock()
	sub := c.sub
	c.sub = nil
	if sub != nil {
		sub.cancelled = true
	}
	c.mu.Unlock()
	sub.cancel()
}

// consumeOn opens one channel and consumes on it, subscribing again after a pause or a
// broker-side cancel, until the channel dies or ctx ends. The channel is never closed here
// while it may carry deliveries the caller holds: they are acked on it, even after Run returns.
func (c *Consumer) consumeOn(ctx context.Context, conn *amqp.Connection, b *backoff, handle func(*Delivery)) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Qos(c.cfg.Prefetch, 0, false); err != nil {
		_ = ch.Close()
		return fmt.Errorf("qos: %w", err)
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	declared := false
	for {
		if !declared {
			if err := c.decl.declare(conn); err != nil {
				if ch.IsClosed() || conn.IsClosed() {
					return fmt.Errorf("declare queues: %w", err)
				}
				// Keep this channel: it may carry deliveries the caller still holds.
				c.log.Warn("declaring the queues failed; trying again", "err", err)
				if !sleep(ctx, c.sess.ctx.Done(), b.delay()) {
					return nil
				}
				continue
			}
			declared = true
		}
		if !c.waitResumed(ctx, closed) {
			return closeReason(closed)
		}
		sub, deliveries, err := c.subscribe(ctx, ch)
		if errors.Is(err, errNotNow) {
			continue
		}
		if err != nil {
			return err // the broker closed the channel over it
		}
		b.reset()
		for raw := range deliveries {
			c.dispatch(ctx, sub, raw, handle)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case ch.IsClosed():
			return closeReason(closed)
		case c.endSub(sub):
			continue // paused: wait for Resume
		}
		c.log.Warn("broker cancelled the consumer (queue deleted or moved); subscribing again", "queue", c.cfg.Queue)
		declared = false
		if !sleep(ctx, c.sess.ctx.Done(), b.delay()) {
			return nil
		}
	}
}

// waitResumed waits while paused; false means ctx ended or the channel closed meanwhile.
func (c *Consumer) waitResumed(ctx context.Context, closed <-chan *amqp.Error) bool {
	for {
		c.mu.Lock()
		paused, changed := c.paused, c.changed
		c.mu.Unlock()
		if !paused {
			return ctx.Err() == nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		case <-closed:
			return false
		}
	}
}

// errNotNow means a pause or stop came between waitResumed and subscribe.
var errNotNow = errors.New("paused or stopping")

// subscribe starts consuming. It holds the lock across basic.consume, and checks for a pause
// or stop under it, so a Pause or stop either happens before (and nothing is subscribed) or
// finds the subscription and cancels it.
func (c *Consumer) subscribe(ctx context.Context, ch *amqp.Channel) (*subscription, <-chan amqp.Delivery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused || ctx.Err() != nil {
		return nil, nil, errNotNow
	}
	sub := &subscription{ch: ch, tag: c.cfg.ConnectionName + "-" + uuid.NewString()[:8]}
	deliveries, err := ch.Consume(c.cfg.Queue, sub.tag, false, false, false, false, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("consume %s: %w", c.cfg.Queue, err)
	}
	c.sub = sub
	c.log.Info("consuming", "queue", c.cfg.Queue, "prefetch", c.cfg.Prefetch)
	return sub, deliveries, nil
}

// endSub forgets a subscription whose deliveries have ended and reports whether we cancelled
// it (rather than the broker).
func (c *Consumer) endSub(sub *subscription) (byUs bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sub == sub {
		c.sub = nil
	}
	return sub.cancelled
}

// isCancelled reports whether we cancelled sub, so its remaining deliveries go back.
func (c *Consumer) isCancelled(sub *subscription) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return sub.cancelled
}

// closeReason is the broker's reason for closing the channel, if it has been given.
func closeReason(closed <-chan *amqp.Error) error {
	select {
	case err, ok := <-closed:
		if ok && err != nil {
			return err
		}
		return amqp.ErrClosed
	default:
		return nil
	}
}
