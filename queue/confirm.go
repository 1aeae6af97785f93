package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// maxBatch is how many messages one channel has in flight at once. The return buffer is this
// big, so the library never has to wait (or give up) handing us a basic.return.
const maxBatch = 256

// outgoing is one message and the queue it is for.
type outgoing struct {
	queue string
	msg   amqp.Publishing
}

// confirmChannel is a confirm-mode channel that watches for returned messages. It is used by
// one batch at a time and only reused once every confirm of the batch has arrived, so every
// return in its buffer belongs to the batch that just finished.
type confirmChannel struct {
	conn    *amqp.Connection
	ch      *amqp.Channel
	returns chan amqp.Return
}

func openConfirmChannel(conn *amqp.Connection) (*confirmChannel, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	if err := ch.Confirm(false); err != nil {
		_ = ch.Close()
		return nil, fmt.Errorf("confirm mode: %w", err)
	}
	return &confirmChannel{
		conn:    conn,
		ch:      ch,
		returns: ch.NotifyReturn(make(chan amqp.Return, maxBatch)),
	}, nil
}

// batchResult says what happened to one batch.
type batchResult struct {
	ok       []bool // message i was confirmed by the broker and not returned
	reusable bool   // the channel is open and has no confirm outstanding
	err      error  // why not every message is ok
}

// publish sends batch (at most maxBatch messages) with mandatory set and waits for every
// confirm until ctx ends.
//
// RabbitMQ sends the basic.return of an unroutable message before its basic.ack, on the same
// channel, and the library's single reader goroutine hands both over in that order; the return
// buffer has room for every message of the batch. So once a message's confirm has arrived,
// its return (if any) is already in c.returns: draining after the waits misses none. Each
// message carries its own MessageId so returns are matched exactly.
func (c *confirmChannel) publish(ctx context.Context, batch []outgoing) batchResult {
	ids := make([]string, len(batch))
	confirms := make([]*amqp.DeferredConfirmation, 0, len(batch))
	var sendErr error
	for i, o := range batch {
		o.msg.MessageId = uuid.NewString()
		ids[i] = o.msg.MessageId
		dc, err := c.ch.PublishWithDeferredConfirmWithContext(ctx, "", o.queue, true, false, o.msg)
		if err != nil {
			sendErr = err
			break
		}
		confirms = append(confirms, dc)
	}
	var waitErr error
	for _, dc := range confirms {
		if _, err := dc.WaitContext(ctx); err != nil {
			waitErr = err
			break
		}
	}
	return c.tally(batch, ids, confirms, sendErr, waitErr)
}

func (c *confirmChannel) tally(batch []outgoing, ids []string, confirms []*amqp.DeferredConfirmation, sendErr, waitErr error) batchResult {
	res := batchResult{ok: make([]bool, len(batch))}
	returned := c.drainReturns()
	pending, nacked, bounced := 0, 0, 0
	var bounceText string
	for i, dc := range confirms {
		select {
		case <-dc.Done():
		default:
			pending++
			continue
		}
		switch text, ret := returned[ids[i]]; {
		case !dc.Acked():
			nacked++
		case ret:
			bounced++
			bounceText = text
		default:
			res.ok[i] = true
		}
	}
	closed := c.ch.IsClosed()
	// A send cut short by ctx sent nothing more, so it does not spoil the channel.
	res.reusable = (sendErr == nil || ctxErr(sendErr)) && pending == 0 && !closed
	switch {
	case sendErr != nil && ctxErr(sendErr):
		res.err = fmt.Errorf("send: %w", sendErr)
	case sendErr != nil:
		res.err = fmt.Errorf("send: %w: %w", ErrUnavailable, sendErr)
	case waitErr != nil:
		res.err = fmt.Errorf("%d of %d messages not confirmed: %w", pending, len(batch), waitErr)
	case nacked > 0 && closed:
		res.err = fmt.Errorf("channel closed before confirming %d of %d messages: %w", nacked, len(batch), ErrUnavailable)
	case nacked > 0:
		res.err = fmt.Errorf("broker nacked %d of %d messages: %w", nacked, len(batch), ErrUnavailable)
	case bounced > 0:
		res.err = fmt.Errorf("%d of %d messages: %w (%s)", bounced, len(batch), ErrUnroutable, bounceText)
	}
	return res
}

// drainReturns takes every return already handed over, by MessageId.
func (c *confirmChannel) drainReturns() map[string]string {
	out := map[string]string{}
	for {
		select {
		case r, ok := <-c.returns:
			if !ok {
				return out
			}
			out[r.MessageId] = r.ReplyText
		default:
			return out
		}
	}
}

func ctxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
