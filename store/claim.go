package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ClaimResult says what Claim did.
type ClaimResult int

// Claim results. The zero value is none of them.
const (
	// ClaimAcquired: the caller now holds the photo's lease and should process it.
	ClaimAcquired ClaimResult = iota + 1
	// ClaimCompleted: the photo is already completed; there is nothing to do.
	ClaimCompleted
	// ClaimBusy: another worker holds a live lease on the photo.
	ClaimBusy
)

func (r ClaimResult) String() string {
	switch r {
	case ClaimAcquired:
		return "acquired"
	case ClaimCompleted:
		return "completed"
	case ClaimBusy:
		return "busy"
	}
	return fmt.Sprintf("ClaimResult(%d)", int(r))
}

// claimSQL claims in one statement. The UPDATE takes the photo when it is pending or failed,
// or processing with no live worker: its lease expired (or never existed: rows the Python
// service left), it was requeued by the sweeper or an admin, or the caller takes over. When it
// takes nothing, the second branch reports the photo as the statement found it. A concurrent
// claim that won makes the UPDATE re-check the new row and skip it, while the second branch
// still sees the old status; Claim reads that as busy.
const claimSQL = `
WITH claimed AS (
    UPDATE photos
    SET status = 'processing', attempts = attempts + 1, failure_reason = NULL,
        lease_until = now() + $2::bigint * interval '1 microsecond',
        requeued_at = NULL, updated_at = now()
    WHERE uuid = $1
      AND (status IN ('pending', 'failed')
           OR (status = 'processing'
               AND ($3::boolean OR requeued_at IS NOT NULL
                    OR lease_until IS NULL OR lease_until < now())))
    RETURNING uuid, url, status, created_at, updated_at, attempts, failure_reason
)
SELECT true, uuid, url, status, created_at, updated_at, attempts, coalesce(failure_reason, '')
FROM claimed
UNION ALL
SELECT false, ` + photoColumns + `
FROM photos
WHERE uuid = $1 AND NOT EXISTS (SELECT FROM claimed)`

// Claim takes the photo for processing under a lease: status processing, lease_until =
// now()+lease, attempts+1. It acquires a photo that is pending or failed, or processing with
// an expired lease, or requeued by ExpiredLeases or StuckPhotos, or processing at all when
// takeover is set (a redelivered message: the previous holder died). A completed photo gives
// ClaimCompleted, one under another worker's live lease ClaimBusy; both return the photo as it
// is. ErrNotFound when there is no such photo. Of concurrent claims without takeover, exactly
// one acquires.
func (s *Store) Claim(ctx context.Context, id uuid.UUID, lease time.Duration, takeover bool) (Photo, ClaimResult, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if lease <= 0 {
		return Photo{}, 0, fmt.Errorf("claim %s: lease %s: must be positive", id, lease)
	}
	var (
		acquired bool
		p        Photo
	)
	err := s.pool.QueryRow(ctx, claimSQL, id, interval(lease), takeover).Scan(
		&acquired, &p.UUID, &p.URL, &p.Status, &p.CreatedAt, &p.UpdatedAt, &p.Attempts, &p.FailureReason)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Photo{}, 0, fmt.Errorf("claim %s: %w", id, ErrNotFound)
	case err != nil:
		return Photo{}, 0, fmt.Errorf("claim %s: %w", id, s.fail(err))
	case acquired:
		return p, ClaimAcquired, nil
	case p.Status == StatusCompleted:
		return p, ClaimCompleted, nil
	default:
		return p, ClaimBusy, nil
	}
}

// changePhoto runs update, an UPDATE of the photo $1 with further arguments args, and says
// whether it changed the row. ErrNotFound when the photo does not exist; one statement, so the
// answer cannot be torn by a concurrent delete.
func (s *Store) changePhoto(ctx context.Context, id uuid.UUID, update string, args ...any) (bool, error) {
	var changed, exists bool
	err := s.pool.QueryRow(ctx, `
WITH changed AS (`+update+` RETURNING 1)
SELECT EXISTS (SELECT FROM changed), EXISTS (SELECT FROM photos WHERE uuid = $1)`,
		append([]any{id}, args...)...).Scan(&changed, &exists)
	switch {
	case err != nil:
		return false, err
	case !changed && !exists:
		return false, ErrNotFound
	}
	return changed, nil
}
