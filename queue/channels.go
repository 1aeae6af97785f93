package queue

import (
	"context"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// acquire takes a channel slot and an open confirm channel on the current connection. It fails
// at once when there is no connection, so that an API request is answered 503 instead of
// waiting for a broker that is down.
func (p *Publisher) acquire(ctx context.Context) (*confirmChannel, error) {
	if err := p.CanPublish(); err != nil {
		return nil, err
	}
	conn := p.sess.current()
	if conn == nil {
		return nil, fmt.Errorf("not connected: %w", ErrUnavailable)
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if p.redeclare.CompareAndSwap(true, false) {
		if err := p.decl.declare(conn); err != nil {
			p.redeclare.Store(true)
			<-p.slots
			return nil, fmt.Errorf("redeclare topology: %w: %w", ErrUnavailable, err)
		}
	}
	if cc := p.takeIdle(conn); cc != nil {
		return cc, nil
	}
	cc, err := openConfirmChannel(conn)
	if err != nil {
		<-p.slots
		return nil, fmt.Errorf("open channel: %w: %w", ErrUnavailable, err)
	}
	return cc, nil
}

// takeIdle returns a pooled channel of conn, dropping those of connections that are gone.
func (p *Publisher) takeIdle(conn *amqp.Connection) *confirmChannel {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		cc := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if cc.conn == conn && !cc.ch.IsClosed() {
			return cc
		}
	}
	return nil
}

// release puts a healthy channel back in the pool; any other is closed in the background,
// because closing waits for the broker, which may be what is stuck.
func (p *Publisher) release(cc *confirmChannel, reusable bool) {
	defer func() { <-p.slots }()
	if reusable && !cc.ch.IsClosed() {
		p.mu.Lock()
		p.idle = append(p.idle, cc)
		p.mu.Unlock()
		return
	}
	if cc.ch.IsClosed() {
		return
	}
	p.discards.Add(1)
	go func() {
		defer p.discards.Done()
		_ = cc.ch.Close()
	}()
}
