package store_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// TestListPendingPaging pages through 250 pending photos, 100 at a time, among photos in other
// states and with created_at ties, and expects each pending photo once, in order.
func TestListPendingPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var want []store.Photo
	for i := range 250 {
		// Groups of five share a timestamp, so that the uuid tie-break matters; inserted in
		// an order that is not the listing order.
		at := base.Add(time.Duration((i*7)%50) * time.Second)
		want = append(want, b.photo(t, &storetest.PhotoOpts{CreatedAt: at}))
		if i%10 == 0 {
			for _, st := range []store.Status{store.StatusProcessing, store.StatusCompleted, store.StatusFailed} {
				b.photo(t, &storetest.PhotoOpts{Status: st, CreatedAt: at})
			}
		}
	}
	slices.SortFunc(want, func(a, b store.Photo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(a.UUID[:], b.UUID[:])
	})

	var got []store.Photo
	after := uuid.Nil
	var sizes []int
	for range 10 { // bounded: a bug must not loop forever
		page, err := b.s.ListPending(ctx(t), after, 100)
		if err != nil {
			t.Fatalf("ListPending(after %s): %v", after, err)
		}
		sizes = append(sizes, len(page))
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].UUID
	}
	if !slices.Equal(sizes, []int{100, 100, 50, 0}) {
		t.Errorf("page sizes = %v, want [100 100 50 0]", sizes)
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d photos, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].UUID != want[i].UUID || !got[i].CreatedAt.Equal(want[i].CreatedAt) || got[i].Status != store.StatusPending {
			t.Fatalf("photo %d = %s %s %s, want %s %s pending", i, got[i].UUID, got[i].CreatedAt, got[i].Status, want[i].UUID, want[i].CreatedAt)
		}
	}
}

func TestListPending(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	first := b.photo(t, &storetest.PhotoOpts{CreatedAt: base})
	second := b.photo(t, &storetest.PhotoOpts{CreatedAt: base.Add(time.Second), URL: "https://photos.example/2.jpg"})
	// A cursor that has left pending since its page was served.
	gone := b.photo(t, &storetest.PhotoOpts{CreatedAt: base.Add(500 * time.Millisecond), Status: store.StatusCompleted})

	tests := []struct {
		name    string
		after   uuid.UUID
		limit   int
		want    []uuid.UUID
		wantErr error
	}{
		{"first page", uuid.Nil, 10, []uuid.UUID{first.UUID, second.UUID}, nil},
		{"limit", uuid.Nil, 1, []uuid.UUID{first.UUID}, nil},
		{"after the first", first.UUID, 10, []uuid.UUID{second.UUID}, nil},
		{"after the last", second.UUID, 10, nil, nil},
		{"after a photo no longer pending", gone.UUID, 10, []uuid.UUID{second.UUID}, nil},
		{"after an unknown photo", uuid.New(), 10, nil, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, err := b.s.ListPending(ctx(t), tt.after, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListPending() error = %v, want %v", err, tt.wantErr)
			}
			var ids []uuid.UUID
			for _, p := range page {
				ids = append(ids, p.UUID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("ListPending() = %v, want %v", ids, tt.want)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		page, err := b.s.ListPending(ctx(t), first.UUID, 1)
		if err != nil || len(page) != 1 {
			t.Fatalf("ListPending() = %v, %v", page, err)
		}
		if !reflect.DeepEqual(page[0], second) {
			t.Errorf("listed %+v, want %+v", page[0], second)
		}
	})
	for _, limit := range []int{0, -1} {
		if _, err := b.s.ListPending(ctx(t), uuid.Nil, limit); err == nil {
			t.Errorf("ListPending(limit %d) succeeded", limit)
		}
	}
}

func TestPhotos(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pending := b.photo(t, nil)
	failed := b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, FailureReason: "404"})
	unknown := uuid.New()

	tests := []struct {
		name string
		ids  []uuid.UUID
		want []store.Photo
	}{
		{"none", nil, nil},
		{"all known", []uuid.UUID{pending.UUID, failed.UUID}, []store.Photo{pending, failed}},
		{"unknown left out", []uuid.UUID{unknown, failed.UUID}, []store.Photo{failed}},
		{"duplicates", []uuid.UUID{pending.UUID, pending.UUID}, []store.Photo{pending}},
		{"only unknown", []uuid.UUID{unknown}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.s.Photos(ctx(t), tt.ids)
			if err != nil {
				t.Fatalf("Photos: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Photos() = %d photos, want %d", len(got), len(tt.want))
			}
			for _, w := range tt.want {
				if !reflect.DeepEqual(got[w.UUID], w) {
					t.Errorf("Photos()[%s] = %+v, want %+v", w.UUID, got[w.UUID], w)
				}
			}
		})
	}
}

func TestPhoto(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	for _, th := range []store.Thumbnail{
		{Width: 640, Height: 480, Size: 640, URL: "big.jpg"},
		{Width: 320, Height: 240, Size: 320, URL: "small.jpg"},
	} {
		if err := b.s.Complete(ctx(t), p.UUID, th); err != nil {
			t.Fatal(err)
		}
	}

	got, thumbs, err := b.s.Photo(ctx(t), p.UUID)
	if err != nil {
		t.Fatalf("Photo: %v", err)
	}
	if got.UUID != p.UUID || got.Status != store.StatusCompleted || got.URL != p.URL {
		t.Errorf("Photo() = %+v, want %s completed", got, p.UUID)
	}
	if len(thumbs) != 2 || thumbs[0].Size != 320 || thumbs[1].Size != 640 {
		t.Fatalf("thumbnails = %+v, want sizes 320 then 640", thumbs)
	}
	th := thumbs[0]
	if th.PhotoUUID != p.UUID || th.UUID == uuid.Nil || th.Width != 320 || th.Height != 240 || th.URL != "small.jpg" || th.CreatedAt.IsZero() {
		t.Errorf("thumbnail = %+v", th)
	}

	if _, _, err := b.s.Photo(ctx(t), uuid.New()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Photo(unknown) = %v, want ErrNotFound", err)
	}
	// A photo without thumbnails.
	fresh := b.photo(t, nil)
	if _, thumbs := b.get(t, fresh.UUID); len(thumbs) != 0 {
		t.Errorf("thumbnails of a fresh photo = %v, want none", thumbs)
	}
}
