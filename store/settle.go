package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Complete records a finished thumbnail and marks the photo completed, in one transaction: a
// row of the same photo and file but another size is deleted (the file was replaced), the row
// for (photo, t.Size) is inserted or updated, and the photo's failure reason and lease are
// cleared. Calling it again for the same photo and size leaves one row. t.UUID and t.CreatedAt
// are ignored; t.PhotoUUID, if set, must be id. ErrNotFound when there is no such photo.
func (s *Store) Complete(ctx context.Context, id uuid.UUID, t Thumbnail) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if t.PhotoUUID != uuid.Nil && t.PhotoUUID != id {
		return fmt.Errorf("complete %s: thumbnail is of photo %s", id, t.PhotoUUID)
	}
	if err := t.validate(); err != nil {
		return fmt.Errorf("complete %s: %w", id, err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// First, so that the photo row is locked before its thumbnails change.
		tag, err := tx.Exec(ctx, `
UPDATE photos
SET status = 'completed', failure_reason = NULL, lease_until = NULL, requeued_at = NULL,
    updated_at = now()
WHERE uuid = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `
DELETE FROM photo_thumbnails WHERE photo_uuid = $1 AND url = $2 AND size <> $3`,
			id, t.URL, t.Size); err != nil {
			return fmt.Errorf("remove replaced thumbnail: %w", err)
		}
		_, err = tx.Exec(ctx, `
INSERT INTO photo_thumbnails (photo_uuid, width, height, size, url)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (photo_uuid, size) DO UPDATE
SET width = excluded.width, height = excluded.height, url = excluded.url,
    created_at = excluded.created_at`,
			id, t.Width, t.Height, t.Size, t.URL)
		if err != nil {
			return fmt.Errorf("record thumbnail: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("complete %s: %w", id, s.fail(err))
	}
	return nil
}

// Fail marks the photo failed for good, with reason, and ends its lease. A photo already
// completed (by a worker that took it over) stays completed: its thumbnail is the better
// truth. ErrNotFound when there is no such photo.
func (s *Store) Fail(ctx context.Context, id uuid.UUID, reason string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.settle(ctx, id, StatusFailed, reason); err != nil {
		return fmt.Errorf("fail %s: %w", id, s.fail(err))
	}
	return nil
}

// Release hands the photo back to pending to await a retry, keeping reason as the last error,
// and ends its lease. Like Fail, it leaves a completed photo alone. ErrNotFound when there is
// no such photo.
func (s *Store) Release(ctx context.Context, id uuid.UUID, reason string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.settle(ctx, id, StatusPending, reason); err != nil {
		return fmt.Errorf("release %s: %w", id, s.fail(err))
	}
	return nil
}

func (s *Store) settle(ctx context.Context, id uuid.UUID, to Status, reason string) error {
	_, err := s.changePhoto(ctx, id, `
UPDATE photos
SET status = $2, failure_reason = nullif($3, ''), lease_until = NULL, requeued_at = NULL,
    updated_at = now()
WHERE uuid = $1 AND status <> 'completed'`, to, cleanReason(reason))
	return err
}
