package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// InsertPhoto adds a pending photo. It is for the demo command and tests; the daemon itself
// never creates photos.
func (s *DB) InsertPhoto(ctx context.Context, url string) (Photo, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if url == "" {
		return Photo{}, errors.New("insert photo: empty url")
	}
	rows, err := s.pool.Query(ctx, `INSERT INTO photos (url) VALUES ($1) RETURNING `+photoColumns, url)
	if err != nil {
		return Photo{}, fmt.Errorf("insert photo: %w", s.fail(err))
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPhoto)
	if err != nil {
		return Photo{}, fmt.Errorf("insert photo: %w", s.fail(err))
	}
	return p, nil
}
