package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// The primary thumbnail is the one the seed made and existing clients link to: the first box
// in JPEG when the photo was made, stored as <photo uuid>.jpg (thumbstore.Key). It is found by
// that name, not by today's first box, which settings may have changed since. When the source
// was smaller than several boxes, one file stands for all of them and each box has a row
// naming it; the primary row is then the smallest of those boxes, the one it was made for.
// This rule is written twice, side by side: Primary for rows in hand, primaryRow for SQL.

// Primary returns the primary row among one photo's thumbnails, and false when none is (a
// photo not yet thumbnailed, or rows from a JPEG-less configuration).
func Primary(thumbs []Thumbnail) (Thumbnail, bool) {
	var (
		primary Thumbnail
		found   bool
	)
	for _, t := range thumbs {
		if t.primaryFile() && (!found || t.Size < primary.Size) {
			primary, found = t, true
		}
	}
	return primary, found
}

// primaryFile says whether t names its photo's primary file: a JPEG whose URL (a relative
// path, s3://BUCKET/PREFIX/KEY or a public base URL + KEY) ends in <photo uuid>.jpg.
func (t Thumbnail) primaryFile() bool {
	return t.format() == "jpeg" && strings.HasSuffix(t.URL, t.PhotoUUID.String()+".jpg")
}

// primaryRow is primaryFile in SQL, true for rows of photo_thumbnails that name their photo's
// primary file; ordering a photo's rows by (NOT primaryRow, size) puts its primary first.
const primaryRow = `(format = 'jpeg' AND url LIKE '%' || photo_uuid::text || '.jpg')`
