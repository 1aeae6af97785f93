package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// thumbs sums up a photo's thumbnail rows as "size:WxH:url" in size order.
func thumbs(t *testing.T, b *bundle, id uuid.UUID) string {
	t.Helper()
	_, ths := b.get(t, id)
	var parts []string
	for _, th := range ths {
		parts = append(parts, fmt.Sprintf("%d:%dx%d:%s", th.Size, th.Width, th.Height, th.URL))
	}
	return strings.Join(parts, " ")
}

func TestComplete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	th := func(size, w, h int, url string) store.Thumbnail {
		return store.Thumbnail{Size: size, Width: w, Height: h, URL: url}
	}
	tests := []struct {
		name  string
		calls []store.Thumbnail
		want  string
	}{
		{"once", []store.Thumbnail{th(320, 320, 240, "a.jpg")}, "320:320x240:a.jpg"},
		{"twice: one row", []store.Thumbnail{th(320, 320, 240, "a.jpg"), th(320, 320, 240, "a.jpg")}, "320:320x240:a.jpg"},
		{"redone with other dimensions", []store.Thumbnail{th(320, 320, 240, "a.jpg"), th(320, 240, 320, "a.jpg")}, "320:240x320:a.jpg"},
		{"size changed, same file: stale row removed", []store.Thumbnail{th(320, 320, 240, "a.jpg"), th(256, 256, 192, "a.jpg")}, "256:256x192:a.jpg"},
		{"another size in another file: both kept", []store.Thumbnail{th(320, 320, 240, "a.jpg"), th(640, 640, 480, "a-640.jpg")}, "320:320x240:a.jpg 640:640x480:a-640.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, FailureReason: "earlier timeout"})
			for _, c := range tt.calls {
				c.PhotoUUID = p.UUID
				if err := b.s.Complete(ctx(t), p.UUID, c); err != nil {
					t.Fatalf("Complete(%+v): %v", c, err)
				}
			}
			if got := thumbs(t, b, p.UUID); got != tt.want {
				t.Errorf("thumbnails = %q, want %q", got, tt.want)
			}
			after, _ := b.get(t, p.UUID)
			if set, _ := b.lease(t, p.UUID); after.Status != store.StatusCompleted || after.FailureReason != "" || set {
				t.Errorf("after Complete: %+v (lease set %v); want completed, no reason, no lease", after, set)
			}
		})
	}
}

func TestCompleteRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	good := store.Thumbnail{Size: 320, Width: 320, Height: 240, URL: "a.jpg"}
	tests := []struct {
		name    string
		id      uuid.UUID
		change  func(*store.Thumbnail)
		wantErr error // nil: any error
	}{
		{"unknown photo", uuid.New(), func(*store.Thumbnail) {}, store.ErrNotFound},
		{"thumbnail of another photo", p.UUID, func(th *store.Thumbnail) { th.PhotoUUID = uuid.New() }, nil},
		{"zero width", p.UUID, func(th *store.Thumbnail) { th.Width = 0 }, nil},
		{"negative height", p.UUID, func(th *store.Thumbnail) { th.Height = -1 }, nil},
		{"size beyond smallint", p.UUID, func(th *store.Thumbnail) { th.Size = 40000 }, nil},
		{"no url", p.UUID, func(th *store.Thumbnail) { th.URL = "" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			th := good
			tt.change(&th)
			err := b.s.Complete(ctx(t), tt.id, th)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Complete() = %v, want an error (%v)", err, tt.wantErr)
			}
		})
	}
	if after, ths := b.get(t, p.UUID); after.Status != store.StatusProcessing || len(ths) != 0 {
		t.Errorf("after rejected calls: %s with %d thumbnails, want processing with none", after.Status, len(ths))
	}
}

func TestFailReleaseUnclaim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fail := func(t *testing.T, c store.Claim, reason string) error { return b.s.Fail(ctx(t), c, reason) }
	release := func(t *testing.T, c store.Claim, reason string) error {
		return b.s.Release(ctx(t), c, reason, time.Hour)
	}
	unclaim := func(t *testing.T, c store.Claim, _ string) error { return b.s.Unclaim(ctx(t), c) }
	tests := []struct {
		name         string
		do           func(*testing.T, store.Claim, string) error
		from         store.Status
		attempt      int // of the claim; the photo has attempt 1
		reason       string
		want         store.Status
		wantReason   string
		wantAttempts int
		wantRetry    bool
		wantErr      error
	}{
		{"fail a claim", fail, store.StatusProcessing, 1, "404 Not Found", store.StatusFailed, "404 Not Found", 1, false, nil},
		{"fail without a reason", fail, store.StatusProcessing, 1, "", store.StatusFailed, "", 1, false, nil},
		{"fail an exhausted retry", fail, store.StatusPending, 1, "died", store.StatusFailed, "died", 1, false, nil},
		{"fail a claim taken over", fail, store.StatusProcessing, 0, "late", store.StatusProcessing, "", 1, false, store.ErrNotClaimed},
		{"fail keeps completed", fail, store.StatusCompleted, 1, "late failure", store.StatusCompleted, "", 1, false, store.ErrNotClaimed},
		{"fail keeps failed", fail, store.StatusFailed, 1, "again", store.StatusFailed, "storetest: failed", 1, false, store.ErrNotClaimed},
		{"release a claim", release, store.StatusProcessing, 1, "timeout", store.StatusPending, "timeout", 1, true, nil},
		{"release a claim taken over", release, store.StatusProcessing, 0, "timeout", store.StatusProcessing, "", 1, false, store.ErrNotClaimed},
		{"release keeps completed", release, store.StatusCompleted, 1, "late", store.StatusCompleted, "", 1, false, store.ErrNotClaimed},
		{"unclaim gives the attempt back", unclaim, store.StatusProcessing, 1, "", store.StatusPending, "", 0, true, nil},
		{"unclaim a claim taken over", unclaim, store.StatusProcessing, 0, "", store.StatusProcessing, "", 1, false, store.ErrNotClaimed},
		{"NUL and invalid UTF-8 stored cleaned", fail, store.StatusProcessing, 1, "bad\x00byte \xff end", store.StatusFailed, "badbyte \uFFFD end", 1, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := b.photo(t, &storetest.PhotoOpts{Status: tt.from, Attempts: 1})
			err := tt.do(t, store.Claim{Photo: before.UUID, Attempt: tt.attempt}, tt.reason)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			after, _ := b.get(t, before.UUID)
			wantReason := tt.wantReason
			if tt.wantErr != nil {
				wantReason = before.FailureReason
			}
			if after.Status != tt.want || after.FailureReason != wantReason || after.Attempts != tt.wantAttempts ||
				after.RetryAt.IsZero() == tt.wantRetry {
				t.Errorf("after: %s %q, attempts %d, retry at %v; want %s %q, attempts %d, retry %v",
					after.Status, after.FailureReason, after.Attempts, after.RetryAt, tt.want, wantReason, tt.wantAttempts, tt.wantRetry)
			}
			if set, _ := b.lease(t, before.UUID); set && tt.wantErr == nil {
				t.Error("lease still set")
			}
		})
	}

	t.Run("a released photo waits for its retry", func(t *testing.T) {
		t.Parallel()
		p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
		if err := b.s.Release(ctx(t), store.Claim{Photo: p.UUID, Attempt: 1}, "503", time.Hour); err != nil {
			t.Fatal(err)
		}
		if after, _ := b.get(t, p.UUID); after.RetryAt.Before(time.Now().Add(50 * time.Minute)) {
			t.Errorf("retry at %s, want in about an hour", after.RetryAt)
		}
		if _, res, err := b.claim(t, p.UUID, true); err != nil || res != store.ClaimWaiting {
			t.Errorf("Claim before the retry is due = %v, %v; want waiting", res, err)
		}
	})
	t.Run("long reason truncated", func(t *testing.T) {
		t.Parallel()
		p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
		if err := b.s.Fail(ctx(t), store.Claim{Photo: p.UUID, Attempt: 1}, strings.Repeat("é", 5000)); err != nil {
			t.Fatal(err)
		}
		after, _ := b.get(t, p.UUID)
		if n := len(after.FailureReason); n > 2100 || n < 1000 || !utf8.ValidString(after.FailureReason) {
			t.Errorf("stored reason: %d bytes, valid UTF-8 %v; want about 2000, valid", n, utf8.ValidString(after.FailureReason))
		}
	})
	t.Run("unknown photo", func(t *testing.T) {
		t.Parallel()
		for name, do := range map[string]func(*testing.T, store.Claim, string) error{"Fail": fail, "Release": release, "Unclaim": unclaim} {
			if err := do(t, store.Claim{Photo: uuid.New(), Attempt: 1}, "x"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s(unknown) = %v, want ErrNotFound", name, err)
			}
		}
	})
}

// Reopen gives failed photos new attempts and leaves the others alone; the message published
// next then claims them.
func TestReopen(t *testing.T) {
	t.Parallel()
	b := setup(t)
	failed := b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, Attempts: 3})
	others := []store.Photo{
		b.photo(t, nil),
		b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted}),
		b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing}),
		b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: time.Now().Add(time.Hour)}),
	}
	ids := []uuid.UUID{failed.UUID, uuid.New()}
	for _, p := range others {
		ids = append(ids, p.UUID)
	}
	if err := b.s.Reopen(ctx(t), ids); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	if after, _ := b.get(t, failed.UUID); after.Status != store.StatusPending || after.Attempts != 0 || after.FailureReason != failed.FailureReason {
		t.Errorf("reopened photo: %+v; want pending, no attempts, the reason it failed with", after)
	}
	for _, p := range others {
		if after, _ := b.get(t, p.UUID); !reflect.DeepEqual(after, p) {
			t.Errorf("Reopen changed %+v to %+v", p, after)
		}
	}
	if _, res, err := b.claim(t, failed.UUID, false); err != nil || res != store.ClaimAcquired {
		t.Errorf("Claim after Reopen = %v, %v; want acquired", res, err)
	}
}
