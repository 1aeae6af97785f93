package imaging

import (
	"image"
	"image/color"
	"reflect"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// buildFormats are the thumbnail formats this build can encode: all three with cgo, JPEG alone
// without.
func buildFormats() []Format {
	fs := []Format{JPEG}
	for _, f := range []Format{WebP, AVIF} {
		if canEncode(f) == nil {
			fs = append(fs, f)
		}
	}
	return fs
}

// TestMakeSizesAndFormats makes three sizes, the primary not the smallest, in every format this
// build encodes, and checks every thumbnail: its place in the Set, its box, that it decodes in
// its format to the size it claims, upright, and that it is close to a downscale of the whole
// photo (x/image/draw's Catmull-Rom of image/jpeg's decode, turned upright).
func TestMakeSizesAndFormats(t *testing.T) {
	t.Parallel()
	formats := buildFormats()
	sizes := []int{480, 120, 720}
	m := newMaker(t, func(c *Config) { c.Sizes, c.Formats = sizes, formats })
	// A photo turned by its EXIF orientation; TestDefaultQualitiesSaveBytes has an upright one.
	for _, name := range []string{"camera-2048x1536-orient6.jpg"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := testphotos.Read(t, name)
			set, err := m.Make(src)
			if err != nil {
				t.Fatal(err)
			}
			whole := uprightPhoto(t, src, set.Orientation)
			refs := map[int]*image.RGBA{}
			if len(set.Thumbnails) != len(sizes)*len(formats) {
				t.Fatalf("%d thumbnails, want %d sizes × %d formats", len(set.Thumbnails), len(sizes), len(formats))
			}
			if p := set.Primary(); p.Box != 480 || p.Format != JPEG {
				t.Errorf("primary is %d %s, want 480 jpeg", p.Box, p.Format)
			}
			for i, th := range set.Thumbnails {
				box, f := sizes[i/len(formats)], formats[i%len(formats)]
				if th.Box != box || !reflect.DeepEqual(th.Boxes, []int{box}) || th.Format != f {
					t.Fatalf("thumbnail %d is %d %v %s, want %d [%d] %s", i, th.Box, th.Boxes, th.Format, box, box, f)
				}
				if max(th.Width, th.Height) != box || (th.Width > th.Height) != (set.SourceWidth > set.SourceHeight) {
					t.Errorf("%d %s: %dx%d does not fill the box the way the %dx%d photo is shown",
						box, f, th.Width, th.Height, set.SourceWidth, set.SourceHeight)
				}
				got := decodeOutput(t, th)
				if refs[box] == nil {
					refs[box] = scaleTo(whole, th.Width, th.Height)
				}
				ref := refs[box]
				e := meanAbsError(t, got, ref)
				t.Logf("%d %s %dx%d: %d bytes, %.2f from the reference", box, f, th.Width, th.Height, len(th.Data), e)
				if maxOf(e) > setTolerance[f] {
					t.Errorf("%d %s differs from the reference by %.2f per channel, want ≤ %v", box, f, e, setTolerance[f])
				}
			}
		})
	}
}

// setTolerance is the largest mean difference per channel (levels of 255) of a decoded
// thumbnail from the reference: the resize's (≤ 2, TestMakeMatchesReference) and the
// encoding's. Measured on this photo at the default qualities, worst channel: JPEG ≤ 4.2,
// WebP and AVIF ≤ 4.8 but for the blue of the 90x120 thumbnail, about 6.5: their colour is stored at half resolution (4:2:0; the JPEG's, at quality 90,
// whole), which shows on the saturated edges of a thumbnail that small. A misplaced or wrongly
// converted picture is 10 or more off. Go's JPEG encoder (the pure-Go build's) always stores
// colour at 4:2:0 as well, and from image/jpeg's whole decode its 90x120 is 7.9 off in blue.
var setTolerance = map[Format]float64{JPEG: map[bool]float64{true: 4.5, false: 8.5}[JPEGCodec == "libjpeg-turbo"], WebP: 7.5, AVIF: 7.5}

// TestMakeNeverEnlarges: a source smaller than some boxes gets its own size once for all of
// them, in each format, named after the first of them; a source smaller than every box gets
// one thumbnail per format, standing for every box.
func TestMakeNeverEnlarges(t *testing.T) {
	t.Parallel()
	formats := buildFormats()
	src := encodePNG(t, quadrants(500, 400, upright))
	for _, tc := range []struct {
		sizes []int
		want  []Thumbnail // without Format and Data
	}{
		{[]int{320, 1280, 640}, []Thumbnail{
			{Box: 320, Boxes: []int{320}, Width: 320, Height: 256},
			{Box: 1280, Boxes: []int{1280, 640}, Width: 500, Height: 400},
		}},
		{[]int{1280, 320, 640}, []Thumbnail{
			{Box: 1280, Boxes: []int{1280, 640}, Width: 500, Height: 400},
			{Box: 320, Boxes: []int{320}, Width: 320, Height: 256},
		}},
		{[]int{640, 500, 2000}, []Thumbnail{
			{Box: 640, Boxes: []int{640, 500, 2000}, Width: 500, Height: 400},
		}},
	} {
		m := newMaker(t, func(c *Config) { c.Sizes, c.Formats = tc.sizes, formats })
		set, err := m.Make(src)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Thumbnails) != len(tc.want)*len(formats) {
			t.Fatalf("sizes %v: %d thumbnails, want %d", tc.sizes, len(set.Thumbnails), len(tc.want)*len(formats))
		}
		for i, th := range set.Thumbnails {
			want := tc.want[i/len(formats)]
			want.Format, want.Data = formats[i%len(formats)], th.Data
			if !reflect.DeepEqual(th, want) {
				th.Data, want.Data = nil, nil
				t.Errorf("sizes %v: thumbnail %d is %+v, want %+v", tc.sizes, i, th, want)
			}
			checkQuadrants(t, decodeOutput(t, th), upright, 12)
		}
		for _, box := range tc.sizes {
			for _, f := range formats {
				if th, ok := set.Find(box, f); !ok || th.Width > 500 {
					t.Errorf("sizes %v: Find(%d, %s) = %dx%d, %v", tc.sizes, box, f, th.Width, th.Height, ok)
				}
			}
		}
		if p := set.Primary(); p.Box != tc.sizes[0] {
			t.Errorf("sizes %v: primary box %d", tc.sizes, p.Box)
		}
	}
}

// TestMakeDecodesOnce: however many sizes and formats, a photo is decoded once, at the size the
// largest box needs.
func TestMakeDecodesOnce(t *testing.T) {
	t.Parallel()
	m := newMaker(t, func(c *Config) { c.Sizes, c.Formats = []int{160, 640, 320}, buildFormats() })
	wk := &worker{}
	defer wk.close()
	got := renderPixels(t, m, wk, testphotos.Read(t, "camera-1600x1200.jpg"))
	if wk.decodes != 1 {
		t.Fatalf("%d decodes for one set, want 1", wk.decodes)
	}
	want := []image.Point{{160, 120}, {640, 480}, {320, 240}}
	for i, p := range got {
		if p.Rect.Size() != want[i] {
			t.Errorf("size %d is %v, want %v", i, p.Rect.Size(), want[i])
		}
	}
}

// TestMakeSetsFlattenAlpha: every format of every size puts transparent areas on white, as
// the JPEG always did: a client gets the same picture whichever format it takes.
func TestMakeSetsFlattenAlpha(t *testing.T) {
	t.Parallel()
	img := quadrants(400, 300, [4]color.RGBA{red, {0, 0, 0, 0}, blue, {0, 255, 0, 128}})
	m := newMaker(t, func(c *Config) { c.Sizes, c.Formats = []int{200, 100}, buildFormats() })
	set, err := m.Make(encodePNG(t, img))
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range set.Thumbnails {
		checkQuadrants(t, decodeOutput(t, th), [4]color.RGBA{red, white, blue, {127, 255, 127, 255}}, 14)
	}
}

// TestDefaultQualitiesSaveBytes: at the default qualities, every WebP and AVIF thumbnail of a
// photo is smaller than its JPEG at quality 90 and about as close to the source (the defaults
// were chosen by butteraugli; MAE, which weighs every pixel alike, allows a little more).
func TestDefaultQualitiesSaveBytes(t *testing.T) {
	t.Parallel()
	formats := buildFormats()
	if len(formats) == 1 {
		t.Skip("this build encodes JPEG alone")
	}
	src := testphotos.Read(t, "camera-1600x1200.jpg")
	m := newMaker(t, func(c *Config) { c.Sizes, c.Formats = []int{320, 800}, formats })
	set, err := m.Make(src)
	if err != nil {
		t.Fatal(err)
	}
	whole := uprightPhoto(t, src, 1)
	for _, box := range []int{320, 800} {
		jpg, _ := set.Find(box, JPEG)
		ref := scaleTo(whole, jpg.Width, jpg.Height)
		jpegErr := maxOf(meanAbsError(t, decodeOutput(t, jpg), ref))
		for _, f := range formats[1:] {
			th, _ := set.Find(box, f)
			e := maxOf(meanAbsError(t, decodeOutput(t, th), ref))
			t.Logf("%d: %s %d bytes %.2f, JPEG %d bytes %.2f", box, f, len(th.Data), e, len(jpg.Data), jpegErr)
			if len(th.Data) >= len(jpg.Data) || e > jpegErr+1.5 {
				t.Errorf("%d %s: %d bytes %.2f from the source, JPEG %d bytes %.2f", box, f, len(th.Data), e, len(jpg.Data), jpegErr)
			}
		}
	}
}
