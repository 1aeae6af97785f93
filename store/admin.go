package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The queries of the admin page: counts by status, the photos that failed, the primary
// thumbnails of the photos thumbnailed last.

// CountByStatus counts photos in each status; every Status is a key.
func (s *DB) CountByStatus(ctx context.Context) (map[Status]int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	counts := make(map[Status]int64, 4)
	for _, st := range Statuses() {
		counts[st] = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM photos GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count by status: %w", s.fail(err))
	}
	var (
		st Status
		n  int64
	)
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error {
		counts[st] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count by status: %w", s.fail(err))
	}
	return counts, nil
}

// RecentFailures returns up to limit failed photos, the most recently failed first.
func (s *DB) RecentFailures(ctx context.Context, limit int) ([]Photo, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if limit < 1 {
		return nil, fmt.Errorf("recent failures: limit %d: must be positive", limit)
	}
	rows, err := s.pool.Query(ctx, `
SELECT `+photoColumns+` FROM photos
WHERE status = 'failed'
ORDER BY updated_at DESC, uuid
LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent failures: %w", s.fail(err))
	}
	photos, err := pgx.CollectRows(rows, scanPhoto)
	if err != nil {
		return nil, fmt.Errorf("recent failures: %w", s.fail(err))
	}
	return photos, nil
}

// FailedPhotos returns the uuids of up to limit failed photos, oldest photo first.
func (s *DB) FailedPhotos(ctx context.Context, limit int) ([]uuid.UUID, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if limit < 1 {
		return nil, fmt.Errorf("failed photos: limit %d: must be positive", limit)
	}
	rows, err := s.pool.Query(ctx, `
SELECT uuid FROM photos
WHERE status = 'failed'
ORDER BY created_at, uuid
LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("failed photos: %w", s.fail(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("failed photos: %w", s.fail(err))
	}
	return ids, nil
}

// RecentPrimaries returns the primary thumbnail (see Primary) of each of the up to limit
// photos whose thumbnails were made most recently, newest first: one per photo, however many
// sizes and formats it has. A photo that got new thumbnails later (a backfill) counts from
// then. A photo without a primary row is shown by its smallest row (a JPEG before the other
// formats of that size).
func (s *DB) RecentPrimaries(ctx context.Context, limit int) ([]Thumbnail, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if limit < 1 {
		return nil, fmt.Errorf("recent thumbnails: limit %d: must be positive", limit)
	}
	ids, err := s.recentlyThumbnailed(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("recent thumbnails: %w", s.fail(err))
	}
	// One row a photo, through the (photo_uuid, size, format) index.
	rows, err := s.pool.Query(ctx, `
SELECT DISTINCT ON (photo_uuid) `+thumbnailColumns+` FROM photo_thumbnails
WHERE photo_uuid = ANY($1)
ORDER BY photo_uuid, NOT `+primaryRow+`, size, format <> 'jpeg', format`, ids)
	if err != nil {
		return nil, fmt.Errorf("recent thumbnails: %w", s.fail(err))
	}
	thumbs, err := pgx.CollectRows(rows, scanThumbnail)
	if err != nil {
		return nil, fmt.Errorf("recent thumbnails: %w", s.fail(err))
	}
	byPhoto := make(map[uuid.UUID]Thumbnail, len(thumbs))
	for _, t := range thumbs {
		byPhoto[t.PhotoUUID] = t
	}
	out := make([]Thumbnail, 0, len(ids))
	for _, id := range ids {
		if t, ok := byPhoto[id]; ok { // else its rows went between the two reads
			out = append(out, t)
		}
	}
	return out, nil
}

// recentlyThumbnailed returns up to limit photos, the one whose newest thumbnail row is newest
// first. It walks photo_thumbnails_created_idx newest first, a page at a time, until it has
// seen limit photos: a photo has a row per size and format, so it reads about limit × rows
// per photo index entries, however many rows the table has.
func (s *DB) recentlyThumbnailed(ctx context.Context, limit int) ([]uuid.UUID, error) {
	ids := make([]uuid.UUID, 0, limit)
	seen := make(map[uuid.UUID]bool, limit)
	at, after := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), uuid.Nil
	for page := 4 * limit; len(ids) < limit; page = min(2*page, 10_000) {
		// The index is (created_at DESC, uuid): "created_at <= $1" is where the scan starts,
		// the rest skips the rows of that instant already read.
		rows, err := s.pool.Query(ctx, `
SELECT photo_uuid, created_at, uuid FROM photo_thumbnails
WHERE created_at <= $1 AND (created_at < $1 OR uuid > $2)
ORDER BY created_at DESC, uuid
LIMIT $3`, at, after, page)
		if err != nil {
			return nil, err
		}
		var photo uuid.UUID
		tag, err := pgx.ForEachRow(rows, []any{&photo, &at, &after}, func() error {
			if !seen[photo] && len(ids) < limit {
				seen[photo] = true
				ids = append(ids, photo)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() < int64(page) {
			break // the table's end
		}
	}
	return ids, nil
}
