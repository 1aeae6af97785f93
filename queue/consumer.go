package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Consumer receives photo messages from the work queue. It owns its own connection (named
// ConnectionName+" consume"): publishing never shares it, so broker flow control on publishers
// cannot stall acks. Retries and dead letters go through the Publisher it is given.
type Consumer struct {
	cfg  Config
	pub  *Publisher
	log  *slog.Logger
	sess *session
	decl *declarer

	mu      sync.Mutex
	paused  bool
	changed chan struct{} // closed and replaced when paused changes
	sub     *subscription // the active basic.consume; nil when there is none
	running bool
}

// NewConsumer starts connecting in the background; Run consumes.
func NewConsumer(cfg Config, pub *Publisher, logger *slog.Logger) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("queue config: %w", err)
	}
	if pub == nil {
		return nil, errors.New("consumer needs a publisher for retries and dead letters")
	}
	if !slices.Equal(QueueNames(cfg), QueueNames(pub.cfg)) || cfg.QueueType != pub.cfg.QueueType {
		return nil, errors.New("consumer and publisher must be configured with the same queues")
	}
	log := componentLogger(logger)
	// The publisher's declarer: a topology mismatch is reported once per process, not per
	// connection.
	c := &Consumer{cfg: cfg, pub: pub, log: log, decl: pub.decl, changed: make(chan struct{})}
	c.sess = startSession(cfg, cfg.ConnectionName+" consume", log, nil)
	return c, nil
}

// Connected reports whether the consumer has an open connection to the broker.
func (c *Consumer) Connected() bool {
	conn := c.sess.current()
	return conn != nil && !conn.IsClosed()
}

// Paused reports whether Pause is in effect.
func (c *Consumer) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

// Pause stops taking deliveries (basic.cancel) until Resume. Deliveries already handed to the
// callback are still settled normally; ones received but not yet handed over go back to the
// queue. Calling it again does nothing.
func (c *Consumer) Pause() {
	c.mu.Lock()
	if c.paused {
		c.mu.Unlock()
		return
	}
	c.paused = true
	c.notifyLocked()
	c.mu.Unlock()
	c.log.Info("consumer paused")
	c.cancelSub()
}

// Resume consumes again after Pause. Calling it when not paused does nothing.
func (c *Consumer) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused {
		return
	}
	c.paused = false
	c.notifyLocked()
	c.log.Info("consumer resumed")
}

func (c *Consumer) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Run consumes until ctx ends, calling handle for each delivery from Run's goroutine, one at a
// time: handle may block, which is the back-pressure (prefetch bounds what the broker sends
// meanwhile). Malformed messages never reach handle: they are dead-lettered. Run reconnects
// after the connection or channel is lost and after the broker cancels the consumer, with
// backoff. When ctx ends it cancels the consumer at once (even while handle blocks), hands back
// deliveries it received but did not hand out, and returns nil; the connection stays open so
// held deliveries can still be settled, until Close.
func (c *Consumer) Run(ctx context.Context, handle func(*Delivery)) error {
	if !c.setRunning(true) {
		return errors.New("consumer already running")
	}
	defer c.setRunning(false)
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(cancelled)
		c.cancelSub()
	})
	defer func() {
		if !stop() {
			<-cancelled
		}
	}()

	b := newBackoff(c.cfg.ReconnectMin, c.cfg.ReconnectMax)
	for {
		conn, err := c.sess.wait(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("consume: %w", err)
		}
		if err := c.consumeOn(ctx, conn, b, handle); err != nil && ctx.Err() == nil && !conn.IsClosed() {
			c.log.Warn("consuming failed; trying again on a new channel", "err", err)
		}
		if !conn.IsClosed() {
			// Only the channel failed; a lost connection is redialled, with backoff, by the
			// session.
			sleep(ctx, c.sess.ctx.Done(), b.delay())
		}
	}
}

func (c *Consumer) setRunning(v bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v && c.running {
		return false
	}
	c.running = v
	return true
}

// Close closes the consumer's connection: deliveries not yet settled go back to the queue.
// Stop Run (cancel its context) first.
func (c *Consumer) Close() error {
	return c.sess.close(time.Now().Add(closeHandshake))
}
