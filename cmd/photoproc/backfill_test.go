package main

import (
	"encoding/json"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// photoproc backfill walks every completed photo in pages and queues, once each, those that
// lack a thumbnail the settings ask for.
func TestBackfillCommand(t *testing.T) {
	t.Parallel()
	_, uri := storetest.NewStore(t)
	db := storetest.Pool(t, uri)
	env := map[string]string{
		"PG_CONNECTION_URI":         uri,
		"AMQP_URI":                  queuetest.URI(),
		"PHOTOPROC_QUEUE":           "photoproc-test-backfill-" + uuid.NewString()[:8],
		"PHOTOPROC_THUMBNAIL_SIZES": "320,640",
		"PHOTOPROC_LOG_LEVEL":       "warn",
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := daemon.LoadConfig(nil, func(k string) string { return env[k] }, fs)
	if err != nil {
		t.Fatal(err)
	}
	queuetest.Cleanup(t, cfg.Queue) // the queues the command declares

	lacking := map[uuid.UUID]bool{}
	for i := range 7 {
		p := storetest.Photo(t.Context(), t, db, &storetest.PhotoOpts{Status: store.StatusCompleted})
		boxes := []int{320}
		if i%2 == 0 {
			boxes = append(boxes, 640)
		} else {
			lacking[p.UUID] = true
		}
		for _, box := range boxes {
			if _, err := db.Exec(t.Context(), `INSERT INTO photo_thumbnails (photo_uuid, width, height, size, url)
VALUES ($1, $2, $2, $2, 'x')`, p.UUID, box); err != nil {
				t.Fatal(err)
			}
		}
	}
	storetest.Photo(t.Context(), t, db, nil) // pending: not the backfill's

	code, out, errOut := runCLI(t, env, "backfill", "--batch", "3")
	if code != 0 || !strings.Contains(out, "completed photos seen: 7, queued: 3, skipped: 0") {
		t.Fatalf("backfill = %d %q %q; want 7 seen, 3 queued", code, out, errOut)
	}
	got := map[uuid.UUID]int{}
	for {
		m, ok := queuetest.Get(t, cfg.Queue.URI, cfg.Queue.Queue)
		if !ok {
			break
		}
		var body struct {
			PhotoUUID uuid.UUID `json:"photo_uuid"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatal(err)
		}
		got[body.PhotoUUID]++
	}
	if len(got) != len(lacking) {
		t.Errorf("messages %v, want one for each of %v", got, lacking)
	}
	for id, n := range got {
		if !lacking[id] || n != 1 {
			t.Errorf("photo %s queued %d times; lacking %v", id, n, lacking[id])
		}
	}
	if code, _, _ := runCLI(t, env, "backfill", "--batch", "0"); code == 0 {
		t.Error("--batch 0 accepted")
	}
}
