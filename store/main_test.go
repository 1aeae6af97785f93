package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bundle is what a test needs: a DB on a database of its own, and the DB's pool for
// fixtures and checks.
type bundle struct {
	s   *store.DB
	db  *pgxpool.Pool
	uri string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	s, uri := storetest.NewStore(t)
	return &bundle{s: s, db: store.PoolOf(s), uri: uri}
}

// ctx bounds one test's database calls, so that a hang fails the test instead of the run.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func (b *bundle) photo(t *testing.T, opts *storetest.PhotoOpts) store.Photo {
	t.Helper()
	return storetest.Photo(ctx(t), t, b.db, opts)
}

// get reads a photo back through the DB.
func (b *bundle) get(t *testing.T, id uuid.UUID) (store.Photo, []store.Thumbnail) {
	t.Helper()
	p, thumbs, err := b.s.Photo(ctx(t), id)
	if err != nil {
		t.Fatalf("Photo(%s): %v", id, err)
	}
	return p, thumbs
}

// lease reports whether the photo has a lease and whether it is live (in the future), as the
// database sees it.
func (b *bundle) lease(t *testing.T, id uuid.UUID) (set, live bool) {
	t.Helper()
	err := b.db.QueryRow(ctx(t), `SELECT lease_until IS NOT NULL, coalesce(lease_until > now(), false) FROM photos WHERE uuid = $1`, id).Scan(&set, &live)
	if err != nil {
		t.Fatal(err)
	}
	return set, live
}
