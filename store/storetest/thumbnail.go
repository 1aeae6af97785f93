package storetest

import (
	"context"
	"testing"

	"github.com/photoproc/photoproc/store"
)

// Thumbnail inserts a row of photo_thumbnails as t describes and returns it as stored. It
// writes the row as it is, with none of the rules of recording a finished photo: for reading
// tests that need rows of several sizes and formats, rows that share one file, or rows of an
// older time. t.PhotoUUID and t.URL are required; zero fields take the defaults: Width and
// Height 320×240, Size 320, Format jpeg, CreatedAt now(); Source and Timings stay unknown.
func Thumbnail(ctx context.Context, tb testing.TB, db DB, t store.Thumbnail) store.Thumbnail {
	tb.Helper()
	if t.Width == 0 && t.Height == 0 {
		t.Width, t.Height = 320, 240
	}
	if t.Size == 0 {
		t.Size = 320
	}
	if t.Format == "" {
		t.Format = "jpeg"
	}
	err := db.QueryRow(ctx, `
INSERT INTO photo_thumbnails (photo_uuid, width, height, size, format, url, created_at)
VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()))
RETURNING uuid, created_at`,
		t.PhotoUUID, t.Width, t.Height, t.Size, t.Format, t.URL, timestamp(t.CreatedAt),
	).Scan(&t.UUID, &t.CreatedAt)
	if err != nil {
		tb.Fatalf("storetest: insert thumbnail: %v", err)
	}
	return t
}
