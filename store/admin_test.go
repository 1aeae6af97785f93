package store_test

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

func TestCountByStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		photos []store.Status
		want   map[store.Status]int64
	}{
		{"empty", nil, map[store.Status]int64{store.StatusPending: 0, store.StatusProcessing: 0, store.StatusCompleted: 0, store.StatusFailed: 0}},
		{"mixed", []store.Status{store.StatusPending, store.StatusPending, store.StatusPending, store.StatusFailed, store.StatusFailed, store.StatusCompleted},
			map[store.Status]int64{store.StatusPending: 3, store.StatusProcessing: 0, store.StatusCompleted: 1, store.StatusFailed: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			for _, st := range tt.photos {
				b.photo(t, &storetest.PhotoOpts{Status: st})
			}
			got, err := b.s.CountByStatus(ctx(t))
			if err != nil {
				t.Fatalf("CountByStatus: %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("CountByStatus() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now()
	// created oldest first; failed in another order.
	oldest := b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, CreatedAt: now.Add(-3 * time.Hour), UpdatedAt: now.Add(-time.Minute), FailureReason: "404"})
	middle := b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, CreatedAt: now.Add(-2 * time.Hour), UpdatedAt: now.Add(-time.Hour), FailureReason: "not an image"})
	newest := b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Second), FailureReason: "too large"})
	b.photo(t, &storetest.PhotoOpts{FailureReason: "awaiting retry"})
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})

	t.Run("recent failures, latest first", func(t *testing.T) {
		t.Parallel()
		got, err := b.s.RecentFailures(ctx(t), 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := []store.Photo{newest, oldest, middle}; !reflect.DeepEqual(got, want) {
			t.Errorf("RecentFailures() = %+v, want %+v", got, want)
		}
		if got, err := b.s.RecentFailures(ctx(t), 1); err != nil || len(got) != 1 || got[0].FailureReason != "too large" {
			t.Errorf("RecentFailures(1) = %+v, %v", got, err)
		}
	})
	t.Run("failed photos, oldest first", func(t *testing.T) {
		t.Parallel()
		got, err := b.s.FailedPhotos(ctx(t), 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := []uuid.UUID{oldest.UUID, middle.UUID, newest.UUID}; !slices.Equal(got, want) {
			t.Errorf("FailedPhotos() = %v, want %v", got, want)
		}
		if got, err := b.s.FailedPhotos(ctx(t), 2); err != nil || len(got) != 2 {
			t.Errorf("FailedPhotos(2) = %v, %v", got, err)
		}
	})
	t.Run("limits", func(t *testing.T) {
		t.Parallel()
		if _, err := b.s.RecentFailures(ctx(t), 0); err == nil {
			t.Error("RecentFailures(0) succeeded")
		}
		if _, err := b.s.FailedPhotos(ctx(t), 0); err == nil {
			t.Error("FailedPhotos(0) succeeded")
		}
	})
}

// TestRecentPrimaries: the gallery shows one thumbnail a photo, its primary (the <uuid>.jpg
// row, whatever today's first box is), the photos whose rows were made last first, and Primary
// picks the same row from the photo's rows in hand.
func TestRecentPrimaries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if got, err := b.s.RecentPrimaries(ctx(t), 5); err != nil || len(got) != 0 {
		t.Fatalf("RecentPrimaries of none = %v, %v", got, err)
	}
	base := time.Now().Add(-time.Hour)
	at := func(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }
	type row struct {
		size   int
		format string
		name   string // the file: "" for <uuid>.jpg, else what follows "<uuid>"
		when   int    // minutes after base
	}
	photos := map[string][]row{
		// Every size in two formats, in a bucket.
		"a": {{320, "jpeg", "", 0}, {320, "webp", "-320.webp", 0}, {640, "jpeg", "-640.jpg", 0}, {640, "webp", "-640.webp", 0}},
		// A small source: one file stands for both boxes.
		"b": {{320, "jpeg", "", 1}, {640, "jpeg", "", 1}, {320, "webp", "-320.webp", 1}, {640, "webp", "-320.webp", 1}},
		// Backfilled later with a smaller first box: the primary stays the 320 <uuid>.jpg.
		"c": {{320, "jpeg", "", 2}, {256, "jpeg", "-256.jpg", 4}},
		// No primary file: its smallest row stands for it.
		"d": {{640, "jpeg", "-640.jpg", 3}, {320, "webp", "-320.webp", 3}, {640, "webp", "-640.webp", 3}},
		// Many rows made at one instant: the walk pages through them and their ties.
		"e": {},
	}
	for i := range 12 {
		name := fmt.Sprintf("-%d.jpg", 100*(i+1))
		if i == 0 {
			name = ""
		}
		photos["e"] = append(photos["e"], row{100 * (i + 1), "jpeg", name, 5})
	}
	prefix := map[string]string{"a": "s3://bucket/thumbs/", "b": "https://cdn.example/t/"}
	ids := map[string]uuid.UUID{}
	want := map[string]store.Thumbnail{} // each photo's primary, or the row standing for it
	for _, key := range []string{"a", "b", "c", "d", "e"} {
		p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
		ids[key] = p.UUID
		for _, r := range photos[key] {
			name := cmp.Or(r.name, ".jpg")
			th := storetest.Thumbnail(ctx(t), t, b.db, store.Thumbnail{PhotoUUID: p.UUID, Size: r.size, Width: r.size, Height: r.size / 2,
				Format: r.format, URL: prefix[key] + p.UUID.String() + name, CreatedAt: at(r.when)})
			if r.name == "" && want[key].Size == 0 || key == "d" && r.size == 320 {
				want[key] = th
			}
		}
	}
	order := []string{"e", "c", "d", "b", "a"}
	for limit := 1; limit <= 6; limit++ {
		got, err := b.s.RecentPrimaries(ctx(t), limit)
		if err != nil {
			t.Fatalf("RecentPrimaries(%d): %v", limit, err)
		}
		n := min(limit, len(order))
		if len(got) != n {
			t.Fatalf("RecentPrimaries(%d) = %d thumbnails, want %d", limit, len(got), n)
		}
		for i, key := range order[:n] {
			if w := want[key]; got[i].UUID != w.UUID || got[i].PhotoUUID != ids[key] {
				t.Errorf("RecentPrimaries(%d)[%d] = %d %s %s, want photo %s's %d %s %s", limit, i,
					got[i].Size, got[i].Format, got[i].URL, key, w.Size, w.Format, w.URL)
			}
		}
	}
	for key, id := range ids {
		_, thumbs := b.get(t, id)
		primary, ok := store.Primary(thumbs)
		if key == "d" {
			if ok {
				t.Errorf("Primary of photo d (no <uuid>.jpg) = %s", primary.URL)
			}
			continue
		}
		if !ok || primary.UUID != want[key].UUID {
			t.Errorf("Primary of photo %s = %d %s, %v; want the row RecentPrimaries shows, %d %s", key, primary.Size, primary.URL, ok, want[key].Size, want[key].URL)
		}
	}
	if _, err := b.s.RecentPrimaries(ctx(t), 0); err == nil {
		t.Error("RecentPrimaries(0) did not fail")
	}
}

// TestCompleteRecordsSourceAndTimings: what the pool measured is read back as written, a
// later completion replaces it, and unknown values stay unknown (NULL), not zero.
func TestCompleteRecordsSourceAndTimings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	th := store.Thumbnail{Width: 320, Height: 240, Size: 320, URL: p.UUID.String() + ".jpg",
		Source:  store.Source{Bytes: 5 << 20, Width: 4032, Height: 3024, Format: "heic"},
		Timings: store.Timings{Download: 1500 * time.Millisecond, Thumbnail: 800 * time.Millisecond, Store: 20 * time.Millisecond}}
	if err := b.s.Complete(ctx(t), p.UUID, th); err != nil {
		t.Fatal(err)
	}
	_, got := b.get(t, p.UUID)
	if len(got) != 1 || got[0].Source != th.Source || got[0].Timings != th.Timings {
		t.Fatalf("thumbnail read back %+v, want source %+v and timings %+v", got, th.Source, th.Timings)
	}

	th.Source, th.Timings = store.Source{Bytes: 1000}, store.Timings{Thumbnail: time.Millisecond}
	if err := b.s.Complete(ctx(t), p.UUID, th); err != nil {
		t.Fatal(err)
	}
	_, got = b.get(t, p.UUID)
	if got[0].Source != th.Source || got[0].Timings != th.Timings {
		t.Fatalf("after a second completion %+v, want %+v and %+v", got[0], th.Source, th.Timings)
	}
	var nulls int
	if err := b.db.QueryRow(ctx(t), `SELECT num_nulls(source_width, source_height, source_format, download_seconds, store_seconds)
FROM photo_thumbnails WHERE photo_uuid = $1`, p.UUID).Scan(&nulls); err != nil {
		t.Fatal(err)
	}
	if nulls != 5 {
		t.Errorf("%d of the 5 unknown values are NULL", nulls)
	}
	th.Source.Width = -1
	if err := b.s.Complete(ctx(t), p.UUID, th); err == nil {
		t.Error("a negative source width was recorded")
	}
}
