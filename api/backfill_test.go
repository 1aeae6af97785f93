package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// PUT and POST /photos/backfill queue the completed photos that lack a thumbnail the settings
// ask for (here the default, one 320 JPEG), and say why the others were not queued.
func TestBackfillQueuesCompletedPhotosLackingAThumbnail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, method := range []string{http.MethodPut, http.MethodPost} {
		lacking := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
		full := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
		if err := b.store.Complete(t.Context(), full.UUID, store.Thumbnail{Size: 320, Width: 320, Height: 240, URL: "a.jpg"}); err != nil {
			t.Fatal(err)
		}
		pending := b.photo(t, nil)

		r := b.do(t, method, "/photos/backfill", jsonArray(lacking.UUID.String(), full.UUID.String(), pending.UUID.String()))
		if r.Status != http.StatusAccepted {
			t.Fatalf("%s: status %d: %s", method, r.Status, r.Body)
		}
		var res api.ProcessResult
		r.JSON(t, &res)
		if res.PhotosQueuedCount != 1 || res.PhotosQueued[0].UUID != lacking.UUID || res.PhotosQueued[0].Status != "completed" {
			t.Fatalf("%s: queued %+v, want the completed photo without its 320 JPEG", method, res.PhotosQueued)
		}
		skipped := map[uuid.UUID]api.SkippedPhoto{}
		for _, s := range res.Skipped {
			skipped[s.UUID] = s
		}
		if len(res.Skipped) != 2 || !strings.Contains(skipped[full.UUID].Reason, "every thumbnail") ||
			!strings.Contains(skipped[pending.UUID].Reason, "/photos/process") {
			t.Errorf("%s: skipped %+v", method, res.Skipped)
		}
		m, ok := queuetest.Get(t, b.queue.URI, b.queue.Queue)
		if !ok || !strings.Contains(string(m.Body), lacking.UUID.String()) {
			t.Fatalf("%s: message %s, %v; want one for %s", method, m.Body, ok, lacking.UUID)
		}
		if _, ok := queuetest.Get(t, b.queue.URI, b.queue.Queue); ok {
			t.Fatalf("%s: more than one message", method)
		}
	}

	unknown := uuid.NewString()
	p := b.do(t, http.MethodPut, "/photos/backfill", jsonArray(unknown)).Problem(t, http.StatusNotFound)
	if !strings.Contains(p.Detail, "nothing was queued") {
		t.Errorf("unknown photo: %+v", p)
	}
	b.do(t, http.MethodPut, "/photos/backfill", `[]`).Problem(t, http.StatusUnprocessableEntity)
}
