package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Complete records a finished thumbnail and marks the photo completed, in one transaction: a
// row of the same photo and file but another size or format is deleted (the file was replaced),
// the row for (photo, t.Size, t.Format) is inserted or updated, and the photo's failure reason and lease are
// cleared. Calling it again for the same photo and size leaves one row, with the latest
// t.Source and t.Timings (zero fields are stored as unknown). t.UUID and t.CreatedAt are ignored; t.PhotoUUID, if set, must be id. ErrNotFound when there is no such photo.
func (s *DB) Complete(ctx context.Context, id uuid.UUID, t Thumbnail) error {
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
    retry_at = NULL, updated_at = now()
WHERE uuid = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `
DELETE FROM photo_thumbnails WHERE photo_uuid = $1 AND url = $2 AND (size <> $3 OR format <> $4)`,
			id, t.URL, t.Size, t.format()); err != nil {
			return fmt.Errorf("remove replaced thumbnail: %w", err)
		}
		_, err = tx.Exec(ctx, `
INSERT INTO photo_thumbnails (photo_uuid, width, height, size, url,
    source_bytes, source_width, source_height, source_format,
    download_seconds, thumbnail_seconds, store_seconds, format)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (photo_uuid, size, format) DO UPDATE
SET width = excluded.width, height = excluded.height, url = excluded.url,
    created_at = excluded.created_at,
    source_bytes = excluded.source_bytes, source_width = excluded.source_width,
    source_height = excluded.source_height, source_format = excluded.source_format,
    download_seconds = excluded.download_seconds, thumbnail_seconds = excluded.thumbnail_seconds,
    store_seconds = excluded.store_seconds`,
			id, t.Width, t.Height, t.Size, t.URL,
			orNull(t.Source.Bytes), orNull(t.Source.Width), orNull(t.Source.Height), orNull(t.Source.Format),
			secondsOrNull(t.Timings.Download), secondsOrNull(t.Timings.Thumbnail), secondsOrNull(t.Timings.Store),
			t.format())
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

// Fail marks the photo of claim c failed for good, with reason, and ends its lease. The claim
// must still hold the photo, or be the last claim of a photo refused as ClaimExhausted (the
// Photo.Claim that answer returned; the photo is then pending or processing, and a later claim
// would have changed its token): otherwise nothing changes and the error is ErrNotClaimed (a
// photo completed by a worker that took it over stays completed). ErrNotFound when there is
// no such photo.
func (s *DB) Fail(ctx context.Context, c Claim, reason string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.settle(ctx, c, `
UPDATE photos
SET status = 'failed', failure_reason = nullif($4, ''), lease_until = NULL, requeued_at = NULL,
    retry_at = NULL, updated_at = now()
WHERE uuid = $1 AND claim_token IS NOT DISTINCT FROM $2 AND attempts = $3
    AND status IN ('processing', 'pending')`, cleanReason(reason)); err != nil {
		return fmt.Errorf("fail %s: %w", c.Photo, s.fail(err))
	}
	return nil
}

// Release hands the photo of claim c back to pending to await a retry in retryIn, keeping
// reason as the last error, and ends its lease: the photo then waits for a retry (RetryAt).
// ErrNotClaimed when the claim no longer holds the photo, ErrNotFound when there is no such
// photo.
func (s *DB) Release(ctx context.Context, c Claim, reason string, retryIn time.Duration) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.settle(ctx, c, `
UPDATE photos
SET status = 'pending', failure_reason = nullif($4, ''), lease_until = NULL, requeued_at = NULL,
    retry_at = now() + $5::bigint * interval '1 microsecond', updated_at = now()
WHERE uuid = $1 AND claim_token IS NOT DISTINCT FROM $2 AND attempts = $3 AND status = 'processing'`,
		cleanReason(reason), interval(max(retryIn, 0))); err != nil {
		return fmt.Errorf("release %s: %w", c.Photo, s.fail(err))
	}
	return nil
}

// Unclaim undoes claim c without counting it as an attempt: the photo is pending again with a
// retry due now, for the message the caller hands back to the queue (the worker is stopping,
// or the outcome could not be recorded). ErrNotClaimed when the claim no longer holds the
// photo, ErrNotFound when there is no such photo.
func (s *DB) Unclaim(ctx context.Context, c Claim) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.settle(ctx, c, `
UPDATE photos
SET status = 'pending', attempts = attempts - 1, lease_until = NULL, requeued_at = NULL,
    retry_at = now(), updated_at = now()
WHERE uuid = $1 AND claim_token IS NOT DISTINCT FROM $2 AND attempts = $3 AND status = 'processing'`); err != nil {
		return fmt.Errorf("unclaim %s: %w", c.Photo, s.fail(err))
	}
	return nil
}

// settle runs update, which changes photo $1 only while the claim of token $2 and attempt $3
// holds it, with further arguments args.
func (s *DB) settle(ctx context.Context, c Claim, update string, args ...any) error {
	var token *uuid.UUID // NULL: the photo's last claim had none (it predates tokens)
	if c.Token != uuid.Nil {
		token = &c.Token
	}
	changed, err := s.changePhoto(ctx, c.Photo, update, append([]any{token, c.Attempt}, args...)...)
	if err == nil && !changed {
		return ErrNotClaimed
	}
	return err
}

// Reopen makes the failed photos among ids pending again with no attempts made, so that the
// messages the caller then publishes for them may claim them: a failed photo is claimed by
// nothing else, so a stray message cannot restart one that was given up on. Other photos are
// left alone.
func (s *DB) Reopen(ctx context.Context, ids []uuid.UUID) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `
UPDATE photos
SET status = 'pending', attempts = 0, lease_until = NULL, requeued_at = NULL, retry_at = NULL,
    updated_at = now()
WHERE uuid = ANY($1) AND status = 'failed'`, ids); err != nil {
		return fmt.Errorf("reopen failed photos: %w", s.fail(err))
	}
	return nil
}
