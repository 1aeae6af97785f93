package store_test

import (
	"maps"
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
		if want := []store.Photo{newest, oldest, middle}; !slices.Equal(got, want) {
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
