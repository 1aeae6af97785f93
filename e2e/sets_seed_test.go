package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/retry"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// seedEra is the Python service's schema and one photo it completed: one thumbnail row, no
// size, no format, at <uuid>.jpg in the thumbnails directory.
const seedEra = storetest.SeedSchema + `
INSERT INTO photos (uuid, url, status) VALUES ($1, $2, 'completed');
INSERT INTO photo_thumbnails (photo_uuid, width, height, url) VALUES ($1::uuid, 100, 68, $1::uuid::text || '.jpg');
`

// servicesOn are newServices on an existing database.
func servicesOn(t *testing.T, uri string) *services {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.URI = uri
	st, err := store.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	q := queuetest.Config(t)
	child, policy := q, queuetest.Retry()
	policy.BackoffMax = retry.DefaultPolicy().BackoffMax
	child.RetryDelays = policy.Delays()
	queuetest.Cleanup(t, child)
	return &services{uri: uri, db: storetest.Pool(t, uri), store: st, queue: q, thumbs: t.TempDir(), photos: newPhotoServer(t)}
}

// A database the Python service left, migrated by photoproc migrate up: its thumbnail rows
// become 320 JPEGs and are served as they were. PUT /photos/backfill then adds a 640 box to
// such a photo and keeps its row and file.
func TestSeedEraRowsAfterMigration(t *testing.T) {
	t.Parallel()
	uri := storetest.EmptyDatabase(t)
	svc := servicesOn(t, uri)
	id := uuid.New()
	seedThumb := testphotos.Read(t, "small-canon40d.jpg") // what the seed made, for all it matters
	if err := os.WriteFile(filepath.Join(svc.thumbs, id.String()+".jpg"), seedThumb, 0o644); err != nil {
		t.Fatal(err)
	}
	conn := storetest.Pool(t, uri)
	for _, stmt := range bytes.Split([]byte(seedEra), []byte(";\n")) {
		if len(bytes.TrimSpace(stmt)) == 0 {
			continue
		}
		var args []any
		if bytes.Contains(stmt, []byte("$1")) {
			args = append(args, id)
		}
		if bytes.Contains(stmt, []byte("$2")) {
			args = append(args, svc.photoURL("camera-1600x1200.jpg"))
		}
		if _, err := conn.Exec(context.Background(), string(stmt), args...); err != nil {
			t.Fatalf("seed: %v\n%s", err, stmt)
		}
	}
	migrate := startChild(t, []string{"PG_CONNECTION_URI=" + uri}, "migrate", "up")
	migrate.wait(t)
	if code := migrate.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("migrate up exited %d:\n%s", code, migrate.logs)
	}
	_, rows := svc.thumbRows(t, id)
	if len(rows) != 1 || rows[0].Format != "jpeg" || rows[0].Size != 320 || rows[0].URL != id.String()+".jpg" {
		t.Fatalf("seed-era rows after migrate up: %+v; want one 320 JPEG at <uuid>.jpg", rows)
	}
	seedRow := rows[0]

	h := startDaemonOn(t, svc, func(c *daemon.Config) { c.Imaging.Sizes = []int{320, 640} })
	resp, body := httpGet(t, h.http, "http://"+h.addrs.HTTP+"/photos/"+id.String()+"/thumbnail", nil)
	if resp.Status != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(body, seedThumb) {
		t.Fatalf("seed-era thumbnail served %d %q, %d bytes; want 200 image/jpeg, the seed's file", resp.Status, resp.Header.Get("Content-Type"), len(body))
	}

	ids, _ := json.Marshal([]uuid.UUID{id})
	req, _ := http.NewRequest(http.MethodPut, "http://"+h.addrs.HTTP+"/photos/backfill", bytes.NewReader(ids))
	req.Header.Set("Content-Type", "application/json")
	r, err := h.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var res api.ProcessResult
	if err := json.Unmarshal(b, &res); r.StatusCode != http.StatusAccepted || err != nil || res.PhotosQueuedCount != 1 {
		t.Fatalf("PUT /photos/backfill = %d %s", r.StatusCode, b)
	}
	h.waitRows(t, []uuid.UUID{id}, 2)
	_, rows = svc.thumbRows(t, id)
	if got := rows[0]; got.UUID != seedRow.UUID || got.URL != seedRow.URL || got.Width != 100 || !got.CreatedAt.Equal(seedRow.CreatedAt) {
		t.Errorf("seed-era row changed by the backfill: %+v, was %+v", got, seedRow)
	}
	if !bytes.Equal(svc.readStored(t, seedRow.URL), seedThumb) {
		t.Error("the seed-era file was written again")
	}
	if got := rows[1]; got.Size != 640 || got.URL != id.String()+"-640.jpg" {
		t.Errorf("new row %+v; want 640 at <uuid>-640.jpg", got)
	}
	h.checkStoredFile(t, rows[1])
}
