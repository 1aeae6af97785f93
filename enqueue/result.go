package enqueue

import (
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
)

// Result says what was queued and what was not.
type Result struct {
	Queued  []Queued  // photos whose message the broker confirmed, in request order
	Skipped []Skipped // photos not queued, and why, in request order
}

// Queued is a photo whose message the broker confirmed.
type Queued struct {
	UUID   uuid.UUID
	URL    string
	Status store.Status // when it was queued: pending, or failed for a photo reopened
}

// Skipped is a photo that was not queued, and why, in words a person can act on.
type Skipped struct {
	UUID   uuid.UUID
	Status store.Status
	Reason string
}

func skipReason(s store.Status) string {
	switch s {
	case store.StatusCompleted:
		return "already completed"
	case store.StatusProcessing:
		return "being processed"
	default:
		return "not queueable in status " + string(s)
	}
}

func backfillSkipReason(s store.Status) string {
	if s == store.StatusProcessing {
		return "being processed"
	}
	return "not completed: a backfill adds to completed photos (PUT /photos/process queues pending and failed ones)"
}
