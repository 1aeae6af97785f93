package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The queries of the admin page: counts by status, the photos that failed, the latest
// thumbnails.

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

// RecentThumbnails returns up to limit thumbnails, the most recently made first.
func (s *DB) RecentThumbnails(ctx context.Context, limit int) ([]Thumbnail, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if limit < 1 {
		return nil, fmt.Errorf("recent thumbnails: limit %d: must be positive", limit)
	}
	rows, err := s.pool.Query(ctx, `
SELECT `+thumbnailColumns+` FROM photo_thumbnails
ORDER BY created_at DESC, uuid
LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent thumbnails: %w", s.fail(err))
	}
	thumbs, err := pgx.CollectRows(rows, scanThumbnail)
	if err != nil {
		return nil, fmt.Errorf("recent thumbnails: %w", s.fail(err))
	}
	return thumbs, nil
}
