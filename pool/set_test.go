package pool

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/store"
)

// withThumbnails gives the bundle's fake thumbnailer boxes and formats. It must be called
// before the pool is made: the pool reads them once.
func withThumbnails(boxes []int, formats ...imaging.Format) *fakeThumbnailer {
	cfg := imaging.DefaultConfig()
	cfg.Sizes, cfg.Formats = boxes, formats
	return &fakeThumbnailer{cfg: &cfg}
}

// newSetBundle is newBundle whose thumbnailer makes boxes in formats.
func newSetBundle(t *testing.T, boxes []int, formats ...imaging.Format) *bundle {
	t.Helper()
	b := newBundle(t, nil)
	b.pool.thumbnailer = withThumbnails(boxes, formats...)
	b.pool.wanted = wanted(b.pool.thumbnailer.Config())
	return b
}

// rowsOf sums up a fake photo's rows as "size/format:WxH:url", sorted.
func rowsOf(p fakePhoto) string {
	var parts []string
	for _, r := range p.rows {
		parts = append(parts, fmt.Sprintf("%d/%s:%dx%d:%s", r.Size, r.Format, r.Width, r.Height, r.URL))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// Every box in every format is stored, the primary as <uuid>.jpg, boxes the photo fits in
// sharing one file, and all recorded at once with the ThumbHash.
func TestSetStoredAndRecorded(t *testing.T) {
	t.Parallel()
	// The fake photo is 4×3: boxes 320 and 640 share its own size, box 2 is smaller.
	b := newSetBundle(t, []int{320, 2, 640}, imaging.JPEG, imaging.WebP)
	id := uuid.New()
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" || got.published != "" {
		t.Fatalf("settled %+v, want a plain ack", got)
	}
	u := id.String()
	if got, want := b.thumbstore.names(), []string{u + "-2.jpg", u + "-2.webp", u + "-320.webp", u + ".jpg"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	p := b.store.get(id)
	want := fmt.Sprintf("2/jpeg:2x1:mem://%[1]s-2.jpg 2/webp:2x1:mem://%[1]s-2.webp "+
		"320/jpeg:4x3:mem://%[1]s.jpg 320/webp:4x3:mem://%[1]s-320.webp "+
		"640/jpeg:4x3:mem://%[1]s.jpg 640/webp:4x3:mem://%[1]s-320.webp", u)
	if got := rowsOf(p); p.status != store.StatusCompleted || got != want || string(p.thumbHash) != "hash" {
		t.Errorf("photo %s with %q and ThumbHash %q\nwant completed with %q and the ThumbHash", p.status, got, p.thumbHash, want)
	}
	if n := b.store.count("complete"); n != 1 {
		t.Errorf("recorded in %d calls, want 1", n)
	}
}

// A set cut short between two files records nothing; its retry stores the same files under
// the same keys and records each row once.
func TestSetCutShortBetweenFiles(t *testing.T) {
	t.Parallel()
	b := newSetBundle(t, []int{320, 2}, imaging.JPEG, imaging.WebP)
	id := uuid.New()
	b.thumbstore.failPutOnce(id.String()+"-2.jpg", errors.New("connection reset by peer"))
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" || got.published != "retry" {
		t.Fatalf("settled %+v, want a retry", got)
	}
	p := b.store.get(id)
	if p.status != store.StatusPending || len(p.rows) != 0 || b.store.count("complete") != 0 {
		t.Fatalf("photo %+v after a failed put, want pending with no rows", p)
	}
	firstFiles := b.thumbstore.names()

	p.waiting = false // its retry is due
	b.store.put(id, p)
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" || got.published != "" {
		t.Fatalf("retry settled %+v, want a plain ack", got)
	}
	p = b.store.get(id)
	files := b.thumbstore.names()
	if p.status != store.StatusCompleted || len(p.rows) != 4 || len(files) != 4 || !slices.Contains(files, id.String()+".jpg") {
		t.Errorf("after the retry: %s with rows %s, files %v; want completed, 4 rows, 4 files", p.status, rowsOf(p), files)
	}
	for _, f := range firstFiles {
		if !slices.Contains(files, f) {
			t.Errorf("file %s of the first attempt not among the retry's %v: keys changed", f, files)
		}
	}
}

// A completed photo that lacks what the settings now ask for gets only that: its row and
// file stay, and no second primary is written even though the first box changed.
func TestBackfillMakesOnlyWhatIsMissing(t *testing.T) {
	t.Parallel()
	b := newSetBundle(t, []int{2, 320}, imaging.JPEG, imaging.WebP)
	id := uuid.New()
	u := id.String()
	old := store.Thumbnail{PhotoUUID: id, Size: 320, Format: "jpeg", Width: 4, Height: 3, URL: "mem://" + u + ".jpg"}
	b.store.put(id, fakePhoto{status: store.StatusCompleted, attempts: 5, rows: []store.Thumbnail{old}, thumbHash: []byte("old")})
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" || got.published != "" {
		t.Fatalf("settled %+v, want a plain ack", got)
	}
	if got, want := b.thumbstore.names(), []string{u + "-2.jpg", u + "-2.webp", u + "-320.webp"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want only the missing ones, %v", got, want)
	}
	p := b.store.get(id)
	want := fmt.Sprintf("2/jpeg:2x1:mem://%[1]s-2.jpg 2/webp:2x1:mem://%[1]s-2.webp "+
		"320/jpeg:4x3:mem://%[1]s.jpg 320/webp:4x3:mem://%[1]s-320.webp", u)
	if got := rowsOf(p); p.status != store.StatusCompleted || got != want || p.attempts != 1 || string(p.thumbHash) != "old" {
		t.Errorf("photo %s, attempt %d, ThumbHash %q, rows %q\nwant completed on attempt 1 of its backfill with the old ThumbHash and %q",
			p.status, p.attempts, p.thumbHash, got, want)
	}

	// Once it has everything, another message finds nothing to do.
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" || b.fetch.count(id) != 1 {
		t.Errorf("second message settled %+v after %d downloads; want an ack without a download", got, b.fetch.count(id))
	}
}

// A backfill that fails for good leaves the photo completed with the thumbnails it had, and
// says why.
func TestBackfillFailureKeepsThePhoto(t *testing.T) {
	t.Parallel()
	b := newSetBundle(t, []int{320, 640}, imaging.JPEG)
	id := uuid.New()
	old := store.Thumbnail{PhotoUUID: id, Size: 320, Format: "jpeg", Width: 4, Height: 3, URL: "mem://" + id.String() + ".jpg"}
	b.store.put(id, fakePhoto{status: store.StatusCompleted, attempts: 1, rows: []store.Thumbnail{old}})
	b.fetch.failWith(id, Permanent(errors.New("download: 404 Not Found")))
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" {
		t.Fatalf("settled %+v, want an ack", got)
	}
	p := b.store.get(id)
	if p.status != store.StatusCompleted || len(p.rows) != 1 || !strings.Contains(p.reason, "404") {
		t.Errorf("photo %+v, want completed with its one row and the reason", p)
	}
}
