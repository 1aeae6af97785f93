package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
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

func TestFailAndRelease(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fail := func(t *testing.T, id uuid.UUID, reason string) error { return b.s.Fail(ctx(t), id, reason) }
	release := func(t *testing.T, id uuid.UUID, reason string) error { return b.s.Release(ctx(t), id, reason) }
	tests := []struct {
		name       string
		do         func(*testing.T, uuid.UUID, string) error
		from       store.Status
		reason     string
		want       store.Status
		wantReason string
	}{
		{"fail a claim", fail, store.StatusProcessing, "404 Not Found", store.StatusFailed, "404 Not Found"},
		{"fail a pending photo", fail, store.StatusPending, "bad url", store.StatusFailed, "bad url"},
		{"fail without a reason", fail, store.StatusProcessing, "", store.StatusFailed, ""},
		{"fail keeps completed", fail, store.StatusCompleted, "late failure", store.StatusCompleted, ""},
		{"release a claim", release, store.StatusProcessing, "timeout", store.StatusPending, "timeout"},
		{"release a failed photo", release, store.StatusFailed, "retry", store.StatusPending, "retry"},
		{"release keeps completed", release, store.StatusCompleted, "late", store.StatusCompleted, ""},
		{"NUL and invalid UTF-8 stored cleaned", fail, store.StatusProcessing, "bad\x00byte \xff end", store.StatusFailed, "badbyte \uFFFD end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := b.photo(t, &storetest.PhotoOpts{Status: tt.from})
			if err := tt.do(t, before.UUID, tt.reason); err != nil {
				t.Fatalf("%v", err)
			}
			after, _ := b.get(t, before.UUID)
			wantReason := tt.wantReason
			if tt.from == store.StatusCompleted {
				wantReason = before.FailureReason
			}
			if after.Status != tt.want || after.FailureReason != wantReason {
				t.Errorf("after: %s %q, want %s %q", after.Status, after.FailureReason, tt.want, wantReason)
			}
			if set, _ := b.lease(t, before.UUID); set && tt.from != store.StatusCompleted {
				t.Error("lease still set")
			}
			if after.Attempts != before.Attempts {
				t.Errorf("attempts changed from %d to %d", before.Attempts, after.Attempts)
			}
		})
	}

	t.Run("long reason truncated", func(t *testing.T) {
		t.Parallel()
		p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
		if err := b.s.Fail(ctx(t), p.UUID, strings.Repeat("é", 5000)); err != nil {
			t.Fatal(err)
		}
		after, _ := b.get(t, p.UUID)
		if n := len(after.FailureReason); n > 2100 || n < 1000 || !utf8.ValidString(after.FailureReason) {
			t.Errorf("stored reason: %d bytes, valid UTF-8 %v; want about 2000, valid", n, utf8.ValidString(after.FailureReason))
		}
	})
	t.Run("unknown photo", func(t *testing.T) {
		t.Parallel()
		for name, do := range map[string]func(*testing.T, uuid.UUID, string) error{"Fail": fail, "Release": release} {
			if err := do(t, uuid.New(), "x"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s(unknown) = %v, want ErrNotFound", name, err)
			}
		}
	})
}
