package queue

import "errors"

var (
	// ErrUnavailable means the broker could not take a message: not connected, blocked by a
	// resource alarm, or the channel died (or the broker nacked) before confirming.
	// Callers answer 503 or hand the message back.
	ErrUnavailable = errors.New("broker unavailable")

	// ErrUnroutable means the broker returned a message because no queue was bound to its
	// routing key (the queue was deleted). The publisher redeclares its topology before the
	// next publish, so sending again usually succeeds.
	ErrUnroutable = errors.New("broker returned message: no queue for it")

	// ErrSettled means a delivery was already acked, requeued, retried or dead-lettered; a
	// second settlement would make the broker close the channel, so it is refused here.
	ErrSettled = errors.New("delivery already settled")

	// ErrClosed means the Publisher or Consumer was closed.
	ErrClosed = errors.New("closed")
)
