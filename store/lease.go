package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Requeueing marks the chosen photos requeued and pushes their lease to now()+$1 µs. SKIP
// LOCKED and the push together make two daemons requeue disjoint sets, and a photo come back
// only after its new lease runs out. ARRAY(...) makes the locking subquery run exactly once.
const (
	expiredLeasesSQL = `
UPDATE photos
SET lease_until = now() + $1::bigint * interval '1 microsecond', requeued_at = now(),
    updated_at = now()
WHERE status = 'processing' AND uuid = ANY (ARRAY (
    SELECT uuid FROM photos
    WHERE status = 'processing' AND (lease_until IS NULL OR lease_until < now())
    ORDER BY lease_until NULLS FIRST
    LIMIT $2
    FOR UPDATE SKIP LOCKED))
RETURNING uuid`

	stuckPhotosSQL = `
UPDATE photos
SET lease_until = now() + $1::bigint * interval '1 microsecond', requeued_at = now(),
    updated_at = now()
WHERE status = 'processing' AND uuid = ANY (ARRAY (
    SELECT uuid FROM photos
    WHERE status = 'processing' AND updated_at < now() - $1::bigint * interval '1 microsecond'
    ORDER BY updated_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED))
RETURNING uuid`
)

// ExpiredLeases returns up to limit photos left in processing past their lease (or with none,
// as the Python service left them), pushing each lease forward by lease and marking it
// requeued, so that the caller can republish them and the next Claim acquires them at once.
// A second call returns them again only after the new lease runs out.
func (s *DB) ExpiredLeases(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if lease <= 0 {
		return nil, fmt.Errorf("expired leases: lease %s: must be positive", lease)
	}
	ids, err := s.requeue(ctx, expiredLeasesSQL, lease, limit)
	if err != nil {
		return nil, fmt.Errorf("expired leases: %w", s.fail(err))
	}
	return ids, nil
}

// StuckPhotos is ExpiredLeases for the admin's "requeue stuck" action: up to limit photos in
// processing whose row has not changed for olderThan, live lease or not. Their lease is pushed
// by olderThan, so that they count as stuck again only after as long.
func (s *DB) StuckPhotos(ctx context.Context, olderThan time.Duration, limit int) ([]uuid.UUID, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if olderThan < 0 {
		return nil, fmt.Errorf("stuck photos: older than %s: must not be negative", olderThan)
	}
	ids, err := s.requeue(ctx, stuckPhotosSQL, olderThan, limit)
	if err != nil {
		return nil, fmt.Errorf("stuck photos: %w", s.fail(err))
	}
	return ids, nil
}

func (s *DB) requeue(ctx context.Context, sql string, d time.Duration, limit int) ([]uuid.UUID, error) {
	if limit < 1 {
		return nil, fmt.Errorf("limit %d: must be positive", limit)
	}
	rows, err := s.pool.Query(ctx, sql, interval(d), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// ExtendLeases pushes the lease of every claim in claims that still holds its photo to
// now()+lease, in one statement, and returns the claims that no longer do (taken over, or
// settled meanwhile). It leaves updated_at alone: a lease kept alive is no progress, and
// StuckPhotos still finds a photo that makes none.
func (s *DB) ExtendLeases(ctx context.Context, lease time.Duration, claims []Claim) ([]Claim, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if lease <= 0 {
		return nil, fmt.Errorf("extend leases: lease %s: must be positive", lease)
	}
	if len(claims) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(claims))
	attempts := make([]int32, len(claims))
	for i, c := range claims {
		ids[i], attempts[i] = c.Photo, int32(c.Attempt)
	}
	rows, err := s.pool.Query(ctx, `
UPDATE photos p
SET lease_until = now() + $1::bigint * interval '1 microsecond'
FROM unnest($2::uuid[], $3::int[]) AS c(uuid, attempts)
WHERE p.uuid = c.uuid AND p.attempts = c.attempts AND p.status = 'processing'
RETURNING p.uuid`, interval(lease), ids, attempts)
	if err != nil {
		return nil, fmt.Errorf("extend leases: %w", s.fail(err))
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("extend leases: %w", s.fail(err))
	}
	kept := make(map[uuid.UUID]bool, len(held))
	for _, id := range held {
		kept[id] = true
	}
	var lost []Claim
	for _, c := range claims {
		if !kept[c.Photo] {
			lost = append(lost, c)
		}
	}
	return lost, nil
}

// lostRetry is when a retry counts as lost: due more than the grace $1 ago without having
// claimed its photo, and not requeued within the last grace either. The sweeper (LostRetries)
// and an operator's request (LostRetriesAmong) go by this one rule.
const lostRetry = `status = 'pending' AND retry_at < now() - $1::bigint * interval '1 microsecond'
      AND (requeued_at IS NULL OR requeued_at < now() - $1::bigint * interval '1 microsecond')`

// lostRetriesSQL marks the chosen photos requeued. SKIP LOCKED and the mark together make two
// daemons pick disjoint sets, and a photo come back only once grace has passed again.
const lostRetriesSQL = `
UPDATE photos
SET requeued_at = now()
WHERE status = 'pending' AND uuid = ANY (ARRAY (
    SELECT uuid FROM photos
    WHERE ` + lostRetry + `
    ORDER BY retry_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED))
RETURNING uuid`

// LostRetries returns up to limit photos whose retry was due more than grace ago and has not
// claimed them: its message was lost (a purged delay queue, a delivery limit) or is late. It
// marks each one requeued, so that a second call returns it again only after another grace.
// The caller publishes a message for each; a late original then finds the photo claimed or
// done, and is dropped.
func (s *DB) LostRetries(ctx context.Context, grace time.Duration, limit int) ([]uuid.UUID, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if grace < 0 {
		return nil, fmt.Errorf("lost retries: grace %s: must not be negative", grace)
	}
	ids, err := s.requeue(ctx, lostRetriesSQL, grace, limit)
	if err != nil {
		return nil, fmt.Errorf("lost retries: %w", s.fail(err))
	}
	return ids, nil
}

// LostRetriesAmong is LostRetries for the photos ids names, for queueing them again on
// request: it marks requeued, and returns, those whose retry is lost by the same rule. Two
// requests at once (or a request and the sweeper) cannot both have a photo: the row's lock
// makes the second see the first's mark.
func (s *DB) LostRetriesAmong(ctx context.Context, ids []uuid.UUID, grace time.Duration) ([]uuid.UUID, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if grace < 0 {
		return nil, fmt.Errorf("lost retries: grace %s: must not be negative", grace)
	}
	rows, err := s.pool.Query(ctx, `UPDATE photos SET requeued_at = now()
WHERE uuid = ANY($2) AND `+lostRetry+`
RETURNING uuid`, interval(grace), ids)
	if err != nil {
		return nil, fmt.Errorf("lost retries: %w", s.fail(err))
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("lost retries: %w", s.fail(err))
	}
	return found, nil
}

// UndoRequeue takes back the requeued mark of photos still waiting for their retry, for those
// LostRetriesAmong returned whose message the broker did not take: they may be queued again at
// once, and the sweeper may find them.
func (s *DB) UndoRequeue(ctx context.Context, ids []uuid.UUID) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `UPDATE photos SET requeued_at = NULL
WHERE uuid = ANY($1) AND status = 'pending' AND retry_at IS NOT NULL`, ids); err != nil {
		return fmt.Errorf("undo requeue: %w", s.fail(err))
	}
	return nil
}
