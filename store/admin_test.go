package store_test

import (
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

func TestRecentThumbnails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if got, err := b.s.RecentThumbnails(ctx(t), 5); err != nil || len(got) != 0 {
		t.Fatalf("RecentThumbnails of none = %v, %v", got, err)
	}
	var made []uuid.UUID
	for i := range 3 {
		p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
		if err := b.s.Complete(ctx(t), p.UUID, store.Thumbnail{Width: 320, Height: 100 + i, Size: 320, URL: p.UUID.String() + ".jpg"}); err != nil {
			t.Fatal(err)
		}
		// Made a minute apart, so that the order does not hang on the clock's resolution.
		if _, err := b.db.Exec(ctx(t), `UPDATE photo_thumbnails SET created_at = now() - $2 * interval '1 minute' WHERE photo_uuid = $1`, p.UUID, 3-i); err != nil {
			t.Fatal(err)
		}
		made = append(made, p.UUID)
	}
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed})
	got, err := b.s.RecentThumbnails(ctx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PhotoUUID != made[2] || got[1].PhotoUUID != made[1] || got[0].Height != 102 {
		t.Fatalf("RecentThumbnails(2) = %+v, want the last two made, newest first", got)
	}
	if _, err := b.s.RecentThumbnails(ctx(t), 0); err == nil {
		t.Error("RecentThumbnails(0) did not fail")
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
