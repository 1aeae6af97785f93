package pool

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Delivery is one message from the queue, settled exactly once by the worker that holds it.
type Delivery interface {
	Photo() uuid.UUID
	// Attempts is which attempt this delivery is, from 1.
	Attempts() int
	// Redelivery reports that the broker delivered this message before to a consumer that did
	// not settle it (it crashed, or its connection dropped).
	Redelivery() bool
	Ack() error
	Requeue() error
	Retry(ctx context.Context, reason string) (time.Duration, error)
	DeadLetter(ctx context.Context, reason string) error
}
