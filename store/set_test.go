package store_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// rows sums up a photo's thumbnail rows as "size/format:WxH:url" in (size, format) order.
func rows(t *testing.T, b *bundle, id uuid.UUID) string {
	t.Helper()
	_, ths := b.get(t, id)
	var parts []string
	for _, th := range ths {
		parts = append(parts, fmt.Sprintf("%d/%s:%dx%d:%s", th.Size, th.Format, th.Width, th.Height, th.URL))
	}
	return strings.Join(parts, " ")
}

// row inserts a thumbnail row as an earlier version left it.
func (b *bundle) row(t *testing.T, id uuid.UUID, size int, format, url string) {
	t.Helper()
	if _, err := b.db.Exec(ctx(t), `INSERT INTO photo_thumbnails (photo_uuid, width, height, size, format, url)
VALUES ($1, $2, $2, $2, $3, $4)`, id, size, format, url); err != nil {
		t.Fatal(err)
	}
}

func thumb(size int, format string, w, h int, url string) store.Thumbnail {
	return store.Thumbnail{Size: size, Format: format, Width: w, Height: h, URL: url}
}

func TestCompleteSet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	full := []store.Thumbnail{
		thumb(320, "jpeg", 320, 240, "a.jpg"), thumb(320, "webp", 320, 240, "a-320.webp"),
		thumb(640, "jpeg", 640, 480, "a-640.jpg"), thumb(640, "webp", 640, 480, "a-640.webp"),
	}
	const fullRows = "320/jpeg:320x240:a.jpg 320/webp:320x240:a-320.webp 640/jpeg:640x480:a-640.jpg 640/webp:640x480:a-640.webp"
	tests := []struct {
		name  string
		rows  func(*testing.T, uuid.UUID) // rows the photo has before
		calls [][]store.Thumbnail
		want  string
	}{
		{"every size and format", nil, [][]store.Thumbnail{full}, fullRows},
		{"again: the same rows", nil, [][]store.Thumbnail{full, full}, fullRows},
		{"boxes sharing one file: a row each, one url", nil, [][]store.Thumbnail{{
			thumb(320, "jpeg", 200, 150, "a.jpg"), thumb(640, "jpeg", 200, 150, "a.jpg"),
		}}, "320/jpeg:200x150:a.jpg 640/jpeg:200x150:a.jpg"},
		{"a backfill keeps the rows it does not name", func(t *testing.T, id uuid.UUID) { b.row(t, id, 320, "jpeg", "a.jpg") },
			[][]store.Thumbnail{{thumb(640, "jpeg", 640, 480, "a-640.jpg"), thumb(320, "webp", 320, 240, "a-320.webp")}},
			"320/jpeg:320x320:a.jpg 320/webp:320x240:a-320.webp 640/jpeg:640x480:a-640.jpg"},
		{"a file written over for another size: its stale row goes", func(t *testing.T, id uuid.UUID) { b.row(t, id, 256, "jpeg", "a.jpg") },
			[][]store.Thumbnail{{thumb(320, "jpeg", 320, 240, "a.jpg")}}, "320/jpeg:320x240:a.jpg"},
		{"a file still shared stays shared", func(t *testing.T, id uuid.UUID) { b.row(t, id, 640, "jpeg", "a.jpg") },
			[][]store.Thumbnail{{thumb(320, "jpeg", 200, 150, "a.jpg"), thumb(640, "jpeg", 200, 150, "a.jpg")}},
			"320/jpeg:200x150:a.jpg 640/jpeg:200x150:a.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, FailureReason: "earlier timeout"})
			if tt.rows != nil {
				tt.rows(t, p.UUID)
			}
			for _, set := range tt.calls {
				if err := b.s.CompleteSet(ctx(t), p.UUID, set, []byte{1, 2, 3}); err != nil {
					t.Fatalf("CompleteSet: %v", err)
				}
			}
			if got := rows(t, b, p.UUID); got != tt.want {
				t.Errorf("rows = %q\nwant   %q", got, tt.want)
			}
			after, _ := b.get(t, p.UUID)
			if set, _ := b.lease(t, p.UUID); after.Status != store.StatusCompleted || after.FailureReason != "" || set ||
				!bytes.Equal(after.ThumbHash, []byte{1, 2, 3}) {
				t.Errorf("after CompleteSet: %+v (lease set %v); want completed, no reason, no lease, the ThumbHash", after, set)
			}
		})
	}
}

// A photo's first ThumbHash stays: a backfill's set does not replace it.
func TestCompleteSetKeepsThumbHash(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	for i, hash := range [][]byte{nil, {1}, {2}, nil} {
		size := 320 * (i + 1)
		if err := b.s.CompleteSet(ctx(t), p.UUID, []store.Thumbnail{thumb(size, "jpeg", 10, 10, fmt.Sprint(size))}, hash); err != nil {
			t.Fatal(err)
		}
	}
	if after, _ := b.get(t, p.UUID); !bytes.Equal(after.ThumbHash, []byte{1}) {
		t.Errorf("ThumbHash = %v, want the first one recorded, [1]", after.ThumbHash)
	}
}

func TestCompleteSetRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	good := thumb(320, "jpeg", 320, 240, "a.jpg")
	tests := map[string][]store.Thumbnail{
		"one variant twice":      {good, thumb(320, "jpeg", 320, 240, "b.jpg")},
		"jpeg named and unnamed": {good, thumb(320, "", 320, 240, "b.jpg")},
		"unknown format":         {good, thumb(640, "png", 640, 480, "a.png")},
		"one of them bad":        {good, thumb(640, "webp", 0, 480, "a-640.webp")},
	}
	for name, set := range tests {
		if err := b.s.CompleteSet(ctx(t), p.UUID, set, nil); err == nil {
			t.Errorf("%s: CompleteSet = nil, want an error", name)
		}
	}
	if after, ths := b.get(t, p.UUID); after.Status != store.StatusProcessing || len(ths) != 0 {
		t.Errorf("after rejected calls: %s with %d thumbnails, want processing with none", after.Status, len(ths))
	}
}

// The claim of a completed photo: acquired to make what it lacks of the wanted variants, and
// nothing else.
func TestClaimBackfill(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wanted := store.Variants([]int{320, 640}, []string{"jpeg", "webp"})
	claim := func(t *testing.T, id uuid.UUID, wanted []store.Variant) (store.Photo, store.ClaimResult) {
		t.Helper()
		p, res, err := b.s.Claim(ctx(t), id, store.ClaimOpts{Lease: lease, MaxAttempts: 3, Wanted: wanted})
		if err != nil {
			t.Fatal(err)
		}
		return p, res
	}
	withRows := func(t *testing.T, opts storetest.PhotoOpts, vs ...store.Variant) store.Photo {
		p := b.photo(t, &opts)
		for _, v := range vs {
			b.row(t, p.UUID, v.Size, v.Format, fmt.Sprintf("%s-%d.%s", p.UUID, v.Size, v.Format))
		}
		return p
	}

	t.Run("lacking: acquired with a new round of attempts", func(t *testing.T) {
		t.Parallel()
		p := withRows(t, storetest.PhotoOpts{Status: store.StatusCompleted, Attempts: 3, FailureReason: "last backfill: 404"},
			store.Variant{Size: 320, Format: "jpeg"}, store.Variant{Size: 1280, Format: "jpeg"})
		got, res := claim(t, p.UUID, wanted)
		want := []store.Variant{{Size: 320, Format: "jpeg"}, {Size: 1280, Format: "jpeg"}}
		if res != store.ClaimBackfill || got.Status != store.StatusProcessing || got.Attempts != 1 || got.FailureReason != "" ||
			!reflect.DeepEqual(got.Stored, want) {
			t.Fatalf("Claim = %v %+v; want backfill, processing, attempt 1, no reason, stored %v", res, got, want)
		}
		if _, live := b.lease(t, p.UUID); !live {
			t.Error("no live lease")
		}
		if r := rows(t, b, p.UUID); strings.Count(r, "/") != 2 {
			t.Errorf("rows changed by the claim: %s", r)
		}
	})
	t.Run("nothing lacking", func(t *testing.T) {
		t.Parallel()
		p := withRows(t, storetest.PhotoOpts{Status: store.StatusCompleted}, wanted...)
		if got, res := claim(t, p.UUID, wanted); res != store.ClaimCompleted || got.Status != store.StatusCompleted || len(got.Stored) != 4 {
			t.Errorf("Claim = %v %+v; want completed, untouched, 4 stored", res, got)
		}
	})
	t.Run("nothing wanted: completed photos are left alone", func(t *testing.T) {
		t.Parallel()
		p := withRows(t, storetest.PhotoOpts{Status: store.StatusCompleted})
		if _, res := claim(t, p.UUID, nil); res != store.ClaimCompleted {
			t.Errorf("Claim = %v, want completed", res)
		}
	})
	t.Run("a pending photo with rows reports them", func(t *testing.T) {
		t.Parallel()
		p := withRows(t, storetest.PhotoOpts{}, store.Variant{Size: 320, Format: "jpeg"})
		if got, res := claim(t, p.UUID, wanted); res != store.ClaimAcquired || len(got.Stored) != 1 {
			t.Errorf("Claim = %v %+v; want acquired with its one row", res, got)
		}
	})
	t.Run("other statuses as before", func(t *testing.T) {
		t.Parallel()
		for status, want := range map[store.Status]store.ClaimResult{
			store.StatusFailed: store.ClaimFailed, store.StatusProcessing: store.ClaimBusy,
		} {
			p := withRows(t, storetest.PhotoOpts{Status: status})
			if _, res := claim(t, p.UUID, wanted); res != want {
				t.Errorf("%s: Claim = %v, want %v", status, res, want)
			}
		}
	})
}

// A backfill that fails for good leaves its photo completed with its thumbnails, saying why;
// a photo without any is failed as before.
func TestFailKeepsThumbnails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, Attempts: 1})
	b.row(t, p.UUID, 320, "jpeg", "a.jpg")
	if err := b.s.Fail(ctx(t), store.Claim{Photo: p.UUID, Attempt: 1}, "download: 404 Not Found"); err != nil {
		t.Fatal(err)
	}
	after, ths := b.get(t, p.UUID)
	if after.Status != store.StatusCompleted || after.FailureReason != "download: 404 Not Found" || len(ths) != 1 {
		t.Errorf("after Fail: %s %q with %d thumbnails; want completed, the reason, its one thumbnail", after.Status, after.FailureReason, len(ths))
	}
}
