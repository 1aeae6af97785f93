package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// closeHandshake bounds the connection.close handshake when closing.
const closeHandshake = 2 * time.Second

// Publisher sends photo messages and reports which ones the broker confirmed. It owns one
// long-lived connection (named ConnectionName+" publish") that reconnects by itself, declares
// the topology on every (re)connect, and shares a pool of PublishChannels confirm-mode channels
// among concurrent callers. Safe for concurrent use.
type Publisher struct {
	cfg   Config
	log   *slog.Logger
	sess  *session
	decl  *declarer
	slots chan struct{} // one per channel in use; bounds the pool

	mu       sync.Mutex
	idle     []*confirmChannel
	closing  bool
	inflight sync.WaitGroup // sends in progress, waited for by Close
	discards sync.WaitGroup // discarded channels being closed

	// redeclare is set when the broker returned a message: a queue was deleted under us.
	redeclare atomic.Bool
}

// NewPublisher starts connecting in the background and returns at once; it fails only on an
// invalid configuration, never because the broker is down.
func NewPublisher(cfg Config, logger *slog.Logger) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("queue config: %w", err)
	}
	log := componentLogger(logger)
	p := &Publisher{
		cfg:   cfg,
		log:   log,
		decl:  newDeclarer(cfg, log),
		slots: make(chan struct{}, cfg.PublishChannels),
	}
	p.sess = startSession(cfg, cfg.ConnectionName+" publish", log, p.decl.declare)
	return p, nil
}

// Connected reports whether the publisher has an open connection to the broker.
func (p *Publisher) Connected() bool {
	conn := p.sess.current()
	return conn != nil && !conn.IsClosed()
}

// CanPublish reports whether a publish could be sent now: nil, or an error wrapping
// ErrUnavailable when not connected or while the broker blocks publishing (a memory or disk
// alarm). It sends nothing.
func (p *Publisher) CanPublish() error {
	conn := p.sess.current()
	if conn == nil || conn.IsClosed() {
		return fmt.Errorf("not connected: %w", ErrUnavailable)
	}
	if why := p.sess.blockedReason(); why != "" {
		return fmt.Errorf("broker blocks publishing (%s): %w", why, ErrUnavailable)
	}
	return nil
}

// WaitConnected waits until the publisher is connected, ctx ends (its error) or the publisher
// is closed (ErrClosed).
func (p *Publisher) WaitConnected(ctx context.Context) error {
	_, err := p.sess.wait(ctx)
	return err
}

// Publish sends one persistent message per photo to the work queue and waits for the broker's
// confirms. It returns the photos the broker confirmed (acked and not returned), in order, and
// an error if any was not: wrapping ErrUnavailable when not connected or when the channel
// failed or the broker nacked, ErrUnroutable when the queue was missing, or ctx's error when it
// ended first. A photo is never reported confirmed unless the broker confirmed it. When not
// connected it fails at once rather than waiting.
func (p *Publisher) Publish(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
	confirmed := make([]uuid.UUID, 0, len(ids))
	if !p.enter() {
		return confirmed, fmt.Errorf("publish: publisher %w: %w", ErrClosed, ErrUnavailable)
	}
	defer p.inflight.Done()
	for chunk := range slices.Chunk(ids, maxBatch) {
		batch := make([]outgoing, len(chunk))
		for i, id := range chunk {
			batch[i] = outgoing{queue: p.cfg.Queue, msg: publishing(encodeBody(id), nil)}
		}
		ok, err := p.send(ctx, batch)
		for i, id := range chunk {
			if ok[i] {
				confirmed = append(confirmed, id)
			}
		}
		if err != nil {
			return confirmed, fmt.Errorf("publish: %w", err)
		}
	}
	return confirmed, nil
}

// publishOne sends one message and waits for its confirm.
func (p *Publisher) publishOne(ctx context.Context, queue string, msg amqp.Publishing) error {
	if !p.enter() {
		return fmt.Errorf("publisher %w: %w", ErrClosed, ErrUnavailable)
	}
	defer p.inflight.Done()
	_, err := p.send(ctx, []outgoing{{queue: queue, msg: msg}})
	return err
}

// send publishes a batch of at most maxBatch messages on one pooled channel. The caller has
// entered (see enter).
func (p *Publisher) send(ctx context.Context, batch []outgoing) ([]bool, error) {
	if err := ctx.Err(); err != nil {
		return make([]bool, len(batch)), err
	}
	cc, err := p.acquire(ctx)
	if err != nil {
		return make([]bool, len(batch)), err
	}
	res := cc.publish(ctx, batch)
	p.release(cc, res.reusable)
	if res.err != nil && errors.Is(res.err, ErrUnroutable) {
		p.redeclare.Store(true)
	}
	return res.ok, res.err
}

// enter registers a publish that Close waits for; false once closing.
func (p *Publisher) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.inflight.Add(1)
	return true
}

// Close stops taking new publishes, waits until ctx ends for the ones under way (every batch
// of a Publish call) to be confirmed, then closes the connection. Publishes still waiting then
// fail with ErrUnavailable; later ones fail with ErrClosed.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return nil
	}
	p.closing = true
	p.mu.Unlock()

	drained := make(chan struct{})
	go func() {
		p.inflight.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-ctx.Done():
		p.log.Warn("closing the publisher with publishes still waiting for confirms")
	}
	err := p.sess.close(time.Now().Add(closeHandshake))
	<-drained // they fail fast now that the connection is gone
	p.discards.Wait()
	return err
}

func componentLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return l.With("component", "queue")
}
