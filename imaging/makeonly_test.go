package imaging

import (
	"bytes"
	"image/color"
	"slices"
	"testing"
)

// MakeOnly encodes only what its filter takes, and what it encodes is what Make would.
func TestMakeOnly(t *testing.T) {
	t.Parallel()
	formats := buildFormats()
	m := newMaker(t, func(c *Config) { c.Sizes, c.Formats = []int{64, 128, 4096}, formats })
	src := encodePNG(t, quadrants(300, 200, [4]color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}))
	all, err := m.Make(src)
	if err != nil {
		t.Fatal(err)
	}
	// The 4096 box shares the source's own size with no other box: [4096] alone.
	only := func(boxes []int, f Format) bool {
		return f == JPEG && slices.Contains(boxes, 128) || slices.Contains(boxes, 4096)
	}
	some, err := m.MakeOnly(src, only)
	if err != nil {
		t.Fatal(err)
	}
	var want []Thumbnail
	for _, th := range all.Thumbnails {
		if only(th.Boxes, th.Format) {
			want = append(want, th)
		}
	}
	if len(some.Thumbnails) != len(want) || len(want) != 1+len(formats) {
		t.Fatalf("MakeOnly made %d thumbnails, want %d (128 jpeg, 4096 in every format)", len(some.Thumbnails), len(want))
	}
	for i, th := range some.Thumbnails {
		w := want[i]
		if th.Box != w.Box || th.Format != w.Format || th.Width != w.Width || th.Height != w.Height ||
			(th.Format != AVIF && !bytes.Equal(th.Data, w.Data)) {
			t.Errorf("thumbnail %d: %d %s %dx%d, want %d %s %dx%d and Make's bytes", i, th.Box, th.Format, th.Width, th.Height, w.Box, w.Format, w.Width, w.Height)
		}
	}
	if !bytes.Equal(some.ThumbHash, all.ThumbHash) {
		t.Error("ThumbHash differs from Make's")
	}
	if _, ok := some.Find(64, JPEG); ok {
		t.Error("64 jpeg made though not asked for")
	}
}
