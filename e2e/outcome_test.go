package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/photoproc/photoproc/store"
)

// outcome is what became of a batch of photos, read from the database and the thumbnails
// directory after a fault.
type outcome struct {
	sent, completed, failed, duplicated int
	unsettled                           []string // photos neither completed nor failed, with their status
	tempFiles                           []string // temporary files of unfinished writes left over
	orphanFiles                         []string // stored thumbnails no completed photo's row names
}

// checkOutcome reads the outcome of ids on a connection of its own (a test may have
// terminated the shared pool's) and from the thumbnail store, and logs the counts the issue
// asks to report.
func (s *services) checkOutcome(t *testing.T, fault string, ids []uuid.UUID) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.uri)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())

	o := outcome{sent: len(ids)}
	rows, err := conn.Query(ctx, `
SELECT p.uuid, p.status::text, count(t.uuid), coalesce(array_agg(t.url) FILTER (WHERE t.url IS NOT NULL), '{}')
FROM photos p LEFT JOIN photo_thumbnails t ON t.photo_uuid = p.uuid
GROUP BY p.uuid`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uuid.UUID]bool{}
	for _, id := range ids {
		want[id] = true
	}
	named := map[string]bool{} // files the rows of completed photos name
	for rows.Next() {
		var (
			id     uuid.UUID
			status string
			n      int
			urls   []string
		)
		if err := rows.Scan(&id, &status, &n, &urls); err != nil {
			t.Fatal(err)
		}
		if status == string(store.StatusCompleted) {
			for _, u := range urls {
				named[u] = true
			}
		}
		if !want[id] {
			continue
		}
		switch status {
		case string(store.StatusCompleted):
			o.completed++
		case string(store.StatusFailed):
			o.failed++
		default:
			o.unsettled = append(o.unsettled, id.String()+" "+status)
		}
		if n > 1 {
			o.duplicated++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var urls []string
	o.tempFiles, urls = s.stored(t)
	for _, u := range urls {
		if !named[u] {
			o.orphanFiles = append(o.orphanFiles, u)
		}
	}
	t.Logf("%s: photos sent %d, completed %d, failed %d, duplicated %d; temporary files %d, orphaned files %d",
		fault, o.sent, o.completed, o.failed, o.duplicated, len(o.tempFiles), len(o.orphanFiles))
	return o
}

// requireAllCompleted checks the promise of the issue: every photo completed, none with two
// thumbnail rows, no partial or orphaned file.
func (o outcome) requireAllCompleted(t *testing.T) {
	t.Helper()
	if o.completed != o.sent || o.failed != 0 || len(o.unsettled) != 0 {
		t.Errorf("%d of %d photos completed, %d failed, not settled: %v", o.completed, o.sent, o.failed, o.unsettled)
	}
	if o.duplicated != 0 {
		t.Errorf("%d photos have more than one thumbnail row", o.duplicated)
	}
	if len(o.tempFiles) != 0 || len(o.orphanFiles) != 0 {
		t.Errorf("left in the thumbnail store: temporary %v, orphaned %v", o.tempFiles, o.orphanFiles)
	}
}

// attempts summarises the attempts the photos of ids had, as "1×11 2×1": eleven after one
// attempt, one after two. Each attempt is one claim, one delivery worked on.
func (s *services) attempts(t *testing.T, ids []uuid.UUID) string {
	t.Helper()
	photos, err := s.store.Photos(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	byCount := map[int]int{}
	for _, p := range photos {
		byCount[p.Attempts]++
	}
	counts := slices.Sorted(maps.Keys(byCount))
	parts := make([]string, len(counts))
	for i, n := range counts {
		parts[i] = fmt.Sprintf("%d×%d", n, byCount[n])
	}
	return strings.Join(parts, " ")
}

// report logs the row of the fault table for one case: photos sent, completed, failed,
// duplicated, and per photo the deliveries worked on (attempts) and downloads.
func (o outcome) report(t *testing.T, fault, attempts, fetches string) {
	t.Helper()
	t.Logf("FAULT TABLE | %s | sent %d | completed %d | failed %d | duplicated %d | attempts per photo %s | downloads per photo %s",
		fault, o.sent, o.completed, o.failed, o.duplicated, attempts, fetches)
}
