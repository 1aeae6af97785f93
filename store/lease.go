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
func (s *Store) ExpiredLeases(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error) {
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
func (s *Store) StuckPhotos(ctx context.Context, olderThan time.Duration, limit int) ([]uuid.UUID, error) {
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

func (s *Store) requeue(ctx context.Context, sql string, d time.Duration, limit int) ([]uuid.UUID, error) {
	if limit < 1 {
		return nil, fmt.Errorf("limit %d: must be positive", limit)
	}
	rows, err := s.pool.Query(ctx, sql, interval(d), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// ExtendLease pushes the lease of a photo being processed to now()+lease, for work that takes
// longer than one lease. ErrNotClaimed when the photo is not processing, ErrNotFound when it
// does not exist.
func (s *Store) ExtendLease(ctx context.Context, id uuid.UUID, lease time.Duration) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if lease <= 0 {
		return fmt.Errorf("extend lease of %s: lease %s: must be positive", id, lease)
	}
	changed, err := s.changePhoto(ctx, id, `
UPDATE photos
SET lease_until = now() + $2::bigint * interval '1 microsecond', updated_at = now()
WHERE uuid = $1 AND status = 'processing'`, interval(lease))
	switch {
	case err != nil:
		return fmt.Errorf("extend lease of %s: %w", id, s.fail(err))
	case !changed:
		return fmt.Errorf("extend lease of %s: %w", id, ErrNotClaimed)
	}
	return nil
}
