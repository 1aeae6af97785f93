package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Complete records one finished thumbnail and marks the photo completed: CompleteSet with
// that one thumbnail and no ThumbHash.
func (s *DB) Complete(ctx context.Context, id uuid.UUID, t Thumbnail) error {
	return s.CompleteSet(ctx, id, []Thumbnail{t}, nil)
}

// CompleteSet records the thumbnails of photo id, whose files are stored, and marks it
// completed, in one transaction: the photo's failure reason and lease are cleared, thumbHash
// is recorded unless the photo has one already (nil: none made), and each thumbnail's row for
// (photo, Size, Format) is inserted, or updated to say what this call says (calling it again
// leaves the same rows, with the latest Source and Timings; zero fields are stored as
// unknown). Rows of other variants are kept, except those naming a file this call records
// for other variants only: that file was written over, and they would name the wrong
// picture. Several thumbnails may name one file (boxes the source fits in share one). A
// thumbnail's UUID and CreatedAt are ignored; its PhotoUUID, if set, must be id.
// ErrNotFound when there is no such photo.
func (s *DB) CompleteSet(ctx context.Context, id uuid.UUID, thumbs []Thumbnail, thumbHash []byte) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := validateSet(id, thumbs); err != nil {
		return fmt.Errorf("complete %s: %w", id, err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// First, so that the photo row is locked before its thumbnails change.
		tag, err := tx.Exec(ctx, `
UPDATE photos
SET status = 'completed', failure_reason = NULL, lease_until = NULL, requeued_at = NULL,
    retry_at = NULL, thumbhash = coalesce(thumbhash, $2), updated_at = now()
WHERE uuid = $1`, id, thumbHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if len(thumbs) == 0 {
			return nil // a photo whose rows a crashed backfill already recorded
		}
		return recordThumbnails(ctx, tx, id, thumbs)
	})
	if err != nil {
		return fmt.Errorf("complete %s: %w", id, s.fail(err))
	}
	return nil
}

func validateSet(id uuid.UUID, thumbs []Thumbnail) error {
	seen := make(map[Variant]bool, len(thumbs))
	for _, t := range thumbs {
		if t.PhotoUUID != uuid.Nil && t.PhotoUUID != id {
			return fmt.Errorf("thumbnail is of photo %s", t.PhotoUUID)
		}
		if err := t.validate(); err != nil {
			return err
		}
		v := Variant{Size: t.Size, Format: t.format()}
		if seen[v] {
			return fmt.Errorf("thumbnail %s given twice", v)
		}
		seen[v] = true
	}
	return nil
}

// recordThumbnails removes the rows that name a file of thumbs for another variant, then
// upserts a row per thumbnail, in one round trip.
func recordThumbnails(ctx context.Context, tx pgx.Tx, id uuid.UUID, thumbs []Thumbnail) error {
	sizes, formats, urls := make([]int32, len(thumbs)), make([]string, len(thumbs)), make([]string, len(thumbs))
	for i, t := range thumbs {
		sizes[i], formats[i], urls[i] = int32(t.Size), t.format(), t.URL
	}
	b := &pgx.Batch{}
	b.Queue(`
DELETE FROM photo_thumbnails t
WHERE t.photo_uuid = $1 AND t.url = ANY($4::text[])
    AND NOT EXISTS (SELECT FROM unnest($2::int[], $3::text[], $4::text[]) AS n(size, format, url)
        WHERE n.size = t.size AND n.format = t.format AND n.url = t.url)`, id, sizes, formats, urls)
	for _, t := range thumbs {
		b.Queue(`
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
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record thumbnails: %w", err)
	}
	return nil
}

// Fail marks the photo of claim c failed for good, with reason, and ends its lease; a photo
// that has thumbnails (a backfill that could not make what it lacked) is completed again
// instead, with reason: its thumbnails stay served, and a later backfill may try again. The claim
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
SET status = CASE WHEN EXISTS (SELECT FROM photo_thumbnails WHERE photo_uuid = $1)
        THEN 'completed'::photo_status ELSE 'failed' END,
    failure_reason = nullif($4, ''), lease_until = NULL, requeued_at = NULL,
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
