package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// BackfillPage is one page of a backfill's walk through the completed photos.
type BackfillPage struct {
	// Lacking are the photos of the page without a row for one of the wanted variants, in
	// uuid order.
	Lacking []uuid.UUID
	// Scanned is how many completed photos the page looked at; fewer than the limit on the
	// last page.
	Scanned int
	// Last is the last photo looked at: the next page starts after it. uuid.Nil when the
	// page was empty.
	Last uuid.UUID
}

// LackingPage looks at up to limit completed photos after the uuid after (uuid.Nil: from the
// first) in uuid order, and returns those without a row for one of wanted. Each page costs
// at most limit rows of the primary key and one probe of photo_thumbnails' unique index per
// photo and wanted variant, however few photos lack anything: a walk through ten million
// photos is as many cheap queries, never one long one.
func (s *DB) LackingPage(ctx context.Context, after uuid.UUID, limit int, wanted []Variant) (BackfillPage, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if limit < 1 || len(wanted) == 0 {
		return BackfillPage{}, fmt.Errorf("lacking page: limit %d and %d wanted: must be positive", limit, len(wanted))
	}
	sizes, formats := variantArrays(wanted)
	rows, err := s.pool.Query(ctx, `
SELECT uuid, `+lackingSQL("photos.uuid", "$3", "$4")+`
FROM photos
WHERE status = 'completed' AND uuid > $1
ORDER BY uuid
LIMIT $2`, after, limit, sizes, formats)
	if err != nil {
		return BackfillPage{}, fmt.Errorf("lacking page: %w", s.fail(err))
	}
	var (
		page    BackfillPage
		id      uuid.UUID
		lacking bool
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &lacking}, func() error {
		page.Scanned++
		page.Last = id
		if lacking {
			page.Lacking = append(page.Lacking, id)
		}
		return nil
	})
	if err != nil {
		return BackfillPage{}, fmt.Errorf("lacking page: %w", s.fail(err))
	}
	return page, nil
}

// Lacking returns the completed photos among ids without a row for one of wanted, in no
// particular order.
func (s *DB) Lacking(ctx context.Context, ids []uuid.UUID, wanted []Variant) ([]uuid.UUID, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if len(ids) == 0 || len(wanted) == 0 {
		return nil, nil
	}
	sizes, formats := variantArrays(wanted)
	rows, err := s.pool.Query(ctx, `
SELECT uuid FROM photos
WHERE uuid = ANY($1) AND status = 'completed' AND `+lackingSQL("photos.uuid", "$2", "$3"), ids, sizes, formats)
	if err != nil {
		return nil, fmt.Errorf("lacking: %w", s.fail(err))
	}
	lacking, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("lacking: %w", s.fail(err))
	}
	return lacking, nil
}
