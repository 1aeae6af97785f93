package queue

import (
	"context"
	"fmt"
)

// QueueStats is the depth of the queues, read with passive declares.
type QueueStats struct {
	Queue         string // the work queue's name
	Messages      int    // messages ready in the work queue (not those delivered and unacked)
	Consumers     int    // consumers of the work queue
	DeadMessages  int    // messages in <queue>.dead
	RetryMessages int    // messages waiting in the delay queues
}

// QueueStats reads the depth of the work, dead-letter and delay queues.
func (p *Publisher) QueueStats(ctx context.Context) (QueueStats, error) {
	st := QueueStats{Queue: p.cfg.Queue}
	conn := p.sess.current()
	if conn == nil || conn.IsClosed() {
		return st, fmt.Errorf("queue stats: not connected: %w", ErrUnavailable)
	}
	ch, err := conn.Channel()
	if err != nil {
		return st, fmt.Errorf("queue stats: %w: %w", ErrUnavailable, err)
	}
	defer func() { _ = ch.Close() }()
	for _, name := range QueueNames(p.cfg) {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		q, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
		if err != nil {
			return st, fmt.Errorf("queue stats %s: %w", name, err)
		}
		switch name {
		case p.cfg.Queue:
			st.Messages, st.Consumers = q.Messages, q.Consumers
		case DeadQueue(p.cfg):
			st.DeadMessages = q.Messages
		default:
			st.RetryMessages += q.Messages
		}
	}
	return st, nil
}

// Waiting is the number of messages ready in the work queue: not delivered to a consumer, and
// not counting those waiting in the delay queues.
func (p *Publisher) Waiting(ctx context.Context) (int, error) {
	conn := p.sess.current()
	if conn == nil || conn.IsClosed() {
		return 0, fmt.Errorf("waiting messages: not connected: %w", ErrUnavailable)
	}
	ch, err := conn.Channel()
	if err != nil {
		return 0, fmt.Errorf("waiting messages: %w: %w", ErrUnavailable, err)
	}
	defer func() { _ = ch.Close() }()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	q, err := ch.QueueDeclarePassive(p.cfg.Queue, true, false, false, false, nil)
	if err != nil {
		return 0, fmt.Errorf("waiting messages in %s: %w", p.cfg.Queue, err)
	}
	return q.Messages, nil
}
