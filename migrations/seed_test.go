package migrations_test

import (
	"testing"

	"github.com/photoproc/photoproc/store/storetest"
)

// seedSchema is the database the Python service made (docs/contract.md), with its data: a photo
// thumbnailed twice by a redelivered message, and one it never finished.
const seedSchema = storetest.SeedSchema + `
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
INSERT INTO photos (uuid, url, status) VALUES
    ('4a37b140-022d-4fba-aa25-a0527d15ecf2', 'https://photos.example/a.jpg', 'completed'),
    ('240f5321-35d2-495d-8324-58112d80528b', 'https://photos.example/b.jpg', 'processing');
INSERT INTO photo_thumbnails (photo_uuid, width, height, url, created_at) VALUES
    ('4a37b140-022d-4fba-aa25-a0527d15ecf2', 320, 240, 'old.jpg', now() - interval '1 day'),
    ('4a37b140-022d-4fba-aa25-a0527d15ecf2', 320, 240, 'new.jpg', now());
`

// TestAdoptsSeedDatabase checks that migrate up takes over a database the Python service
// created, keeping its data.
func TestAdoptsSeedDatabase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.conn.Exec(ctx(t), seedSchema); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := b.m.Up(ctx(t)); err != nil {
		t.Fatalf("Up over the seed schema: %v", err)
	}

	var photos, processingWithoutLease int
	err := b.conn.QueryRow(ctx(t), `
SELECT count(*), count(*) FILTER (WHERE status = 'processing' AND lease_until IS NULL) FROM photos`,
	).Scan(&photos, &processingWithoutLease)
	if err != nil {
		t.Fatal(err)
	}
	if photos != 2 || processingWithoutLease != 1 {
		t.Errorf("photos = %d (processing without lease %d), want 2 (1)", photos, processingWithoutLease)
	}

	var n, size int
	var url string
	err = b.conn.QueryRow(ctx(t), `
SELECT count(*) OVER (), size, url FROM photo_thumbnails
WHERE photo_uuid = '4a37b140-022d-4fba-aa25-a0527d15ecf2'`).Scan(&n, &size, &url)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || size != 320 || url != "new.jpg" {
		t.Errorf("thumbnails after Up: %d rows, size %d, url %q; want 1 row, 320, the newest (new.jpg)", n, size, url)
	}
}
