package store_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// LackingPage walks every completed photo once, page by page, and names those that lack a
// wanted variant; Lacking says the same of chosen photos.
func TestLacking(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wanted := store.Variants([]int{320, 640}, []string{"jpeg"})
	var lacking, complete []uuid.UUID
	for i := range 9 {
		p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
		b.row(t, p.UUID, 320, "jpeg", "a.jpg")
		if i%3 == 0 {
			b.row(t, p.UUID, 640, "jpeg", "a-640.jpg")
			complete = append(complete, p.UUID)
		} else {
			lacking = append(lacking, p.UUID)
		}
	}
	pending := b.photo(t, nil).UUID
	failed := b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed}).UUID
	slices.SortFunc(lacking, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })

	var (
		got     []uuid.UUID
		scanned int
		pages   int
		after   uuid.UUID
	)
	for {
		page, err := b.s.LackingPage(ctx(t), after, 4, wanted)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got, scanned = append(got, page.Lacking...), scanned+page.Scanned
		if page.Scanned < 4 {
			break
		}
		after = page.Last
	}
	if !slices.Equal(got, lacking) || scanned != 9 || pages != 3 {
		t.Errorf("walk: %v lacking, %d scanned in %d pages; want %v, 9 in 3", got, scanned, pages, lacking)
	}

	chosen := append([]uuid.UUID{pending, failed, uuid.New()}, append(complete, lacking[:2]...)...)
	some, err := b.s.Lacking(ctx(t), chosen, wanted)
	slices.SortFunc(some, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	if err != nil || !slices.Equal(some, lacking[:2]) {
		t.Errorf("Lacking = %v, %v; want %v", some, err, lacking[:2])
	}
	if _, err := b.s.LackingPage(ctx(t), uuid.Nil, 10, nil); err == nil {
		t.Error("LackingPage with nothing wanted: nil error")
	}
}
