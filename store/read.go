package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ListPending returns up to limit pending photos, oldest first by (created_at, uuid). after is
// the last photo of the previous page (uuid.Nil for the first page); it may have left pending
// since. ErrNotFound when after names no photo.
func (s *DB) ListPending(ctx context.Context, after uuid.UUID, limit int) ([]Photo, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if limit < 1 {
		return nil, fmt.Errorf("list pending: limit %d: must be positive", limit)
	}
	var (
		rows pgx.Rows
		err  error
	)
	// status = 'pending' is written out, not a parameter, so the partial index always applies.
	if after == uuid.Nil {
		rows, err = s.pool.Query(ctx, `
SELECT `+photoColumns+` FROM photos
WHERE status = 'pending'
ORDER BY created_at, uuid
LIMIT $1`, limit)
	} else {
		var at time.Time
		if at, err = s.createdAt(ctx, after); err != nil {
			return nil, fmt.Errorf("list pending after %s: %w", after, s.fail(err))
		}
		rows, err = s.pool.Query(ctx, `
SELECT `+photoColumns+` FROM photos
WHERE status = 'pending' AND (created_at, uuid) > ($1, $2)
ORDER BY created_at, uuid
LIMIT $3`, at, after, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("list pending: %w", s.fail(err))
	}
	photos, err := pgx.CollectRows(rows, scanPhoto)
	if err != nil {
		return nil, fmt.Errorf("list pending: %w", s.fail(err))
	}
	return photos, nil
}

func (s *DB) createdAt(ctx context.Context, id uuid.UUID) (time.Time, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT created_at FROM photos WHERE uuid = $1`, id).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return at, ErrNotFound
	}
	return at, err
}

// Photos returns the photos with the given uuids, in one query. Unknown uuids are absent from
// the map.
func (s *DB) Photos(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Photo, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	found := make(map[uuid.UUID]Photo, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+photoColumns+` FROM photos WHERE uuid = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("photos: %w", s.fail(err))
	}
	photos, err := pgx.CollectRows(rows, scanPhoto)
	if err != nil {
		return nil, fmt.Errorf("photos: %w", s.fail(err))
	}
	for _, p := range photos {
		found[p.UUID] = p
	}
	return found, nil
}

// Photo returns one photo and its thumbnails, smallest size first. ErrNotFound when there is
// no such photo.
func (s *DB) Photo(ctx context.Context, id uuid.UUID) (Photo, []Thumbnail, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	// One round trip; both reads see the same committed state unless a write lands between them,
	// which at worst shows a thumbnail a moment before the photo says completed.
	batch := &pgx.Batch{}
	batch.Queue(`SELECT `+photoColumns+` FROM photos WHERE uuid = $1`, id)
	batch.Queue(`SELECT `+thumbnailColumns+` FROM photo_thumbnails WHERE photo_uuid = $1 ORDER BY size, format`, id)
	results := s.pool.SendBatch(ctx, batch)
	defer results.Close()

	photo, err := collectOne(results, scanPhoto)
	if errors.Is(err, pgx.ErrNoRows) {
		return Photo{}, nil, fmt.Errorf("photo %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Photo{}, nil, fmt.Errorf("photo %s: %w", id, s.fail(err))
	}
	rows, err := results.Query()
	if err != nil {
		return Photo{}, nil, fmt.Errorf("thumbnails of %s: %w", id, s.fail(err))
	}
	thumbs, err := pgx.CollectRows(rows, scanThumbnail)
	if err != nil {
		return Photo{}, nil, fmt.Errorf("thumbnails of %s: %w", id, s.fail(err))
	}
	return photo, thumbs, nil
}

func collectOne[T any](results pgx.BatchResults, scan pgx.RowToFunc[T]) (T, error) {
	rows, err := results.Query()
	if err != nil {
		var zero T
		return zero, err
	}
	return pgx.CollectExactlyOneRow(rows, scan)
}
