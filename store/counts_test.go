package store_test

import (
	"testing"
	"time"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// The cache counts once for every caller within its age, and past it answers the last count
// at once while it counts again in the background.
func TestCountCache(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.photo(t, nil)
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed})

	fresh := store.NewCountCache(b.s, time.Hour)
	t.Cleanup(fresh.Close)
	stale := store.NewCountCache(b.s, 0)
	t.Cleanup(stale.Close)
	for _, c := range []*store.CountCache{fresh, stale} {
		counts, err := c.CountByStatus(ctx(t))
		if err != nil || counts[store.StatusPending] != 1 || counts[store.StatusFailed] != 1 {
			t.Fatalf("first CountByStatus = %v, %v; want 1 pending, 1 failed", counts, err)
		}
	}

	b.photo(t, nil)
	if counts, err := fresh.CountByStatus(ctx(t)); err != nil || counts[store.StatusPending] != 1 {
		t.Errorf("CountByStatus within the age = %v, %v; want the cached count", counts, err)
	}
	// Past its age: the last count now, the new one soon after.
	if counts, err := stale.CountByStatus(ctx(t)); err != nil || counts[store.StatusPending] != 1 {
		t.Errorf("CountByStatus past the age = %v, %v; want the last count while counting again", counts, err)
	}
	testkit.EventuallyWithin(t, time.Minute, "the pending count to be refreshed to 2", func() bool {
		counts, err := stale.CountByStatus(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		return counts[store.StatusPending] == 2
	})
}
