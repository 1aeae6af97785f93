package enqueue_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// completedWith inserts a completed photo with rows for boxes in JPEG.
func (b *bundle) completedWith(t *testing.T, boxes ...int) store.Photo {
	t.Helper()
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	for _, box := range boxes {
		var id uuid.UUID
		if err := b.db.QueryRow(t.Context(), `INSERT INTO photo_thumbnails (photo_uuid, width, height, size, url)
VALUES ($1, $2, $2, $2, 'x') RETURNING uuid`, p.UUID, box).Scan(&id); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Backfill queues the completed photos that lack a wanted thumbnail, once each, and reports
// every other UUID with the reason it was not queued.
func TestBackfill(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lacking := b.completedWith(t, 320)
	none := b.completedWith(t)
	full := b.completedWith(t, 320, 640)
	pending := b.photo(t, nil)
	processing := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	ids := []uuid.UUID{full.UUID, lacking.UUID, pending.UUID, none.UUID, lacking.UUID, processing.UUID}

	res, err := b.queuer.Backfill(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queued) != 2 || res.Queued[0].UUID != lacking.UUID || res.Queued[1].UUID != none.UUID ||
		res.Queued[0].Status != store.StatusCompleted {
		t.Fatalf("queued %+v, want the two completed photos lacking a size, in request order", res.Queued)
	}
	want := []enqueue.Skipped{
		{UUID: full.UUID, Status: store.StatusCompleted, Reason: "has every thumbnail the settings ask for"},
		{UUID: pending.UUID, Status: store.StatusPending, Reason: "not completed"},
		{UUID: lacking.UUID, Status: store.StatusCompleted, Reason: "duplicate in this request; queued once"},
		{UUID: processing.UUID, Status: store.StatusProcessing, Reason: "being processed"},
	}
	if len(res.Skipped) != len(want) {
		t.Fatalf("skipped %+v, want %d", res.Skipped, len(want))
	}
	for i, w := range want {
		if got := res.Skipped[i]; got.UUID != w.UUID || got.Status != w.Status || !strings.HasPrefix(got.Reason, w.Reason) {
			t.Errorf("skipped[%d] = %+v, want %+v", i, got, w)
		}
	}
	if got := b.messages(t); len(got) != 2 || got[lacking.UUID] != 1 || got[none.UUID] != 1 {
		t.Errorf("messages %v, want one each for the two lacking photos", got)
	}
	if after, _, err := b.store.Photo(t.Context(), lacking.UUID); err != nil || after.Status != store.StatusCompleted {
		t.Errorf("queued photo is %s (%v); want it left completed until a worker claims it", after.Status, err)
	}

	if _, err := b.queuer.Backfill(t.Context(), []uuid.UUID{lacking.UUID, uuid.New()}); !errors.Is(err, enqueue.ErrUnknownPhotos) {
		t.Errorf("Backfill with an unknown UUID = %v, want ErrUnknownPhotos", err)
	}
	if got := b.messages(t); len(got) != 0 {
		t.Errorf("messages %v after a request naming an unknown photo, want none", got)
	}
}
