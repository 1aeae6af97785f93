package pool

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Delivery is one message from the queue, settled exactly once by the worker that holds it:
// with Ack (after its outcome is recorded, and any copy of it published) or Requeue.
type Delivery interface {
	Photo() uuid.UUID
	// Redelivery reports that the broker delivered this message before to a consumer that did
	// not settle it (it crashed, or its connection dropped).
	Redelivery() bool
	Ack() error
	Requeue() error
	// PublishRetry publishes a copy of the message that comes back to the queue after wait (the
	// retry policy's),
	// and waits for the broker to confirm it. It does not settle the delivery.
	PublishRetry(ctx context.Context, reason string, attempt int, wait time.Duration) error
	// PublishDeadLetter publishes a copy to the dead-letter queue, confirmed. It does not
	// settle the delivery.
	PublishDeadLetter(ctx context.Context, reason string, attempts int) error
}
