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
	// ClaimTakenOver: acquired, from an earlier claim whose holder did not settle it (its
	// process died, hung, or lost its broker channel, or the lease sweeper gave up on it). The
	// caller now holds the lease; the earlier attempt counts.
	ClaimTakenOver
	// ClaimCompleted: the photo is already completed; there is nothing to do.
	ClaimCompleted
	// ClaimBusy: another worker holds a live lease on the photo.
	ClaimBusy
	// ClaimWaiting: the photo waits for a retry that is not due yet; the retry's own message
	// will claim it.
	ClaimWaiting
	// ClaimFailed: the photo failed for good. Queueing it again through the API (Reopen)
	// gives it new attempts.
	ClaimFailed
	// ClaimExhausted: the photo would be claimable, but has had ClaimOpts.MaxAttempts attempts
	// already (the last ones ended without being settled: their worker died). Nothing changed.
	ClaimExhausted
	// ClaimBackfill: acquired a completed photo that has no row for one of ClaimOpts.Wanted
	// (the settings ask for a size or format it was not made in). It is processing under a
	// new round of attempts (this one the first); its thumbnails stay as they are.
	ClaimBackfill
)

func (r ClaimResult) String() string {
	switch r {
	case ClaimAcquired:
		return "acquired"
	case ClaimTakenOver:
		return "taken over"
	case ClaimCompleted:
		return "completed"
	case ClaimBusy:
		return "busy"
	case ClaimWaiting:
		return "waiting for a retry"
	case ClaimFailed:
		return "failed"
	case ClaimExhausted:
		return "attempts exhausted"
	case ClaimBackfill:
		return "backfill"
	}
	return fmt.Sprintf("ClaimResult(%d)", int(r))
}

// ClaimOpts are the terms of a claim.
type ClaimOpts struct {
	// Lease is how long the claim lasts unless extended (ExtendLeases); must be positive.
	Lease time.Duration
	// Takeover takes the photo even while another worker's lease on it is live: the caller
	// knows that worker is gone (the broker redelivered its message).
	Takeover bool
	// MaxAttempts is how many claims a photo may have: a claim that would be one more gives
	// ClaimExhausted. Must be positive.
	MaxAttempts int
	// Token identifies the claim: settling it checks it, and a claim whose answer was lost is
	// tried again with it: a claim with the token of the claim holding the photo gets it back
	// (ClaimAcquired) without counting another attempt. uuid.Nil: a new one. Each claim must
	// have its own.
	Token uuid.UUID
	// Wanted are the thumbnails the caller makes: a completed photo without a row for one of
	// them is acquired to make what it lacks (ClaimBackfill). Empty: completed photos are
	// never acquired.
	Wanted []Variant
}

// A Claim names one claim on a photo: the photo, the attempt number the claim gave it and the
// claim's token (Photo.Claim). Calls that settle a claim change the photo only while that
// claim still holds it (the same token and attempt number), so a worker whose claim was taken
// over cannot undo the new holder's work, even when the photo's attempt number came round to
// its own again after an Unclaim or a Reopen: they return ErrNotClaimed instead.
type Claim struct {
	Photo   uuid.UUID
	Attempt int
	Token   uuid.UUID
}

// claimSQL claims in one statement. cur locks the photo's row, so concurrent claims of one
// photo run one after the other and each decides on the row as the one before left it. The
// UPDATE takes the photo when it is pending (and its retry, if any, is due) or processing with
// no live worker: its lease expired (or never existed: rows the Python service left), it was
// requeued by the sweeper or an admin, or the caller takes over; and only while it has
// attempts left. It also takes a completed photo that lacks one of the wanted variants
// ($6, $7), with a new round of attempts. The second branch reports the photo as it was, with
// what the caller needs to tell why it was not taken. Both report the (size, format) of the
// thumbnail rows the photo has.
var claimSQL = `
WITH cur AS (
    SELECT uuid, url, status, created_at, updated_at, attempts, failure_reason, retry_at, claim_token,
        coalesce(status = 'processing' AND claim_token = $5, false) AS ours,
        (status = 'pending' AND retry_at > now()) AS waiting,
        ((status = 'pending' AND (retry_at IS NULL OR retry_at <= now()))
         OR (status = 'processing'
             AND ($3::boolean OR requeued_at IS NOT NULL OR lease_until IS NULL OR lease_until < now()))
        ) AS claimable,
        (status = 'completed' AND ` + lackingSQL("photos.uuid", "$6", "$7") + `) AS lacking
    FROM photos WHERE uuid = $1
    FOR UPDATE
), claimed AS (
    UPDATE photos p
    SET status = 'processing',
        attempts = CASE WHEN cur.ours THEN p.attempts WHEN cur.lacking THEN 1 ELSE p.attempts + 1 END,
        failure_reason = NULL, lease_until = now() + $2::bigint * interval '1 microsecond',
        requeued_at = NULL, retry_at = NULL, claim_token = $5, updated_at = now()
    FROM cur
    WHERE p.uuid = cur.uuid AND (cur.ours OR (cur.claimable AND cur.attempts < $4) OR cur.lacking)
    RETURNING p.uuid, p.url, p.status, p.created_at, p.updated_at, p.attempts, p.failure_reason,
        p.retry_at, p.claim_token, CASE WHEN cur.ours THEN 'pending' ELSE cur.status END AS was
), stored AS (
    SELECT coalesce(array_agg(size::int ORDER BY size, format), '{}') AS sizes,
        coalesce(array_agg(format ORDER BY size, format), '{}') AS formats
    FROM photo_thumbnails WHERE photo_uuid = $1
)
SELECT true, was, false, false, uuid, url, status, created_at, updated_at, attempts,
    coalesce(failure_reason, ''), retry_at, claim_token, stored.sizes, stored.formats
FROM claimed, stored
UNION ALL
SELECT false, status, waiting, claimable, uuid, url, status, created_at, updated_at, attempts,
    coalesce(failure_reason, ''), retry_at, claim_token, stored.sizes, stored.formats
FROM cur, stored
WHERE NOT EXISTS (SELECT FROM claimed)`

// Claim takes the photo for processing under a lease: status processing, lease_until =
// now()+Lease, attempts+1. It acquires a photo that is pending (with its retry due, if it
// waits for one), or processing under an expired lease or requeued by ExpiredLeases or
// StuckPhotos, or processing at all when Takeover is set; ClaimTakenOver when the photo was
// processing, ClaimAcquired again (no attempt counted) when it holds the claim with Token
// already. Any other photo is returned as it is, with the reason it was not taken:
// ClaimCompleted, ClaimFailed, ClaimWaiting, ClaimExhausted (it has had MaxAttempts attempts)
// or ClaimBusy (another worker's live lease). A completed photo without a row for one of
// Wanted is acquired too, as ClaimBackfill. Either way the photo comes with Stored, the
// variants it has rows for. ErrNotFound when there is no such photo. Of concurrent claims
// without takeover, exactly one acquires.
func (s *DB) Claim(ctx context.Context, id uuid.UUID, o ClaimOpts) (Photo, ClaimResult, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if o.Lease <= 0 || o.MaxAttempts < 1 {
		return Photo{}, 0, fmt.Errorf("claim %s: lease %s and max attempts %d: must be positive", id, o.Lease, o.MaxAttempts)
	}
	var (
		acquired, waiting, claimable bool
		was                          Status
		p                            Photo
		retryAt                      *time.Time
		token                        *uuid.UUID
		sizes                        []int32
		formats                      []string
	)
	if o.Token == uuid.Nil {
		o.Token = uuid.New()
	}
	wantSizes, wantFormats := variantArrays(o.Wanted)
	err := s.pool.QueryRow(ctx, claimSQL, id, interval(o.Lease), o.Takeover, o.MaxAttempts, o.Token, wantSizes, wantFormats).Scan(
		&acquired, &was, &waiting, &claimable,
		&p.UUID, &p.URL, &p.Status, &p.CreatedAt, &p.UpdatedAt, &p.Attempts, &p.FailureReason, &retryAt, &token,
		&sizes, &formats)
	p.Stored = zipVariants(sizes, formats)
	if retryAt != nil {
		p.RetryAt = *retryAt
	}
	if token != nil {
		p.ClaimToken = *token
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Photo{}, 0, fmt.Errorf("claim %s: %w", id, ErrNotFound)
	case err != nil:
		return Photo{}, 0, fmt.Errorf("claim %s: %w", id, s.fail(err))
	case acquired && was == StatusProcessing:
		return p, ClaimTakenOver, nil
	case acquired && was == StatusCompleted:
		return p, ClaimBackfill, nil
	case acquired:
		return p, ClaimAcquired, nil
	case p.Status == StatusCompleted:
		return p, ClaimCompleted, nil
	case p.Status == StatusFailed:
		return p, ClaimFailed, nil
	case waiting:
		return p, ClaimWaiting, nil
	case claimable:
		return p, ClaimExhausted, nil
	default:
		return p, ClaimBusy, nil
	}
}

// changePhoto runs update, an UPDATE of the photo $1 with further arguments args, and says
// whether it changed the row. ErrNotFound when the photo does not exist; one statement, so the
// answer cannot be torn by a concurrent delete.
func (s *DB) changePhoto(ctx context.Context, id uuid.UUID, update string, args ...any) (bool, error) {
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
