package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"slices"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// corpusSizes is the thumbnail size of the test photos (testdata/photos; see its README.md)
// outside orientation/, which TestMakeOrientationByContent checks.
var corpusSizes = map[string]image.Point{
	"camera-1600x1200.jpg":           {320, 240},
	"camera-1704x2272-portrait.jpg":  {240, 320},
	"camera-2048x1536-orient6.jpg":   {240, 320},
	"camera-4032x3024.jpg":           {320, 240},
	"phone-3264x2448.jpg":            {320, 240},
	"phone-4608x1976.jpg":            {320, 137},
	"small-canon40d.jpg":             {100, 68}, // smaller than the box: not enlarged
	"invalid/invalid-exif-1.jpg":     {320, 114},
	"invalid/invalid-exif-2.jpg":     {320, 90},
	"invalid/invalid-image01137.jpg": {88, 64},
	"invalid/invalid-image01551.jpg": {61, 58},
	"invalid/invalid-image01713.jpg": {31, 320},
	"invalid/invalid-image01980.jpg": {284, 25},
	"invalid/invalid-image02206.jpg": {65, 65},
}

// TestMakeCorpus makes a thumbnail of every test photo (testdata/photos) but those of
// orientation/, which TestMakeOrientationByContent makes (under -race each costs a second).
func TestMakeCorpus(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for _, name := range corpus(t) {
		if strings.HasPrefix(name, "orientation/") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := testphotos.Read(t, name)
			if name == "corrupted-truncated.jpg" {
				_, err := m.Make(src)
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Make = %v, want ErrCorrupt", err)
				}
				t.Logf("message: %v", err)
				return
			}
			want, ok := corpusSizes[name]
			if !ok {
				t.Fatalf("no expected size for %s: add it to corpusSizes", name)
			}
			th, _ := makeThumb(t, m, src)
			if got := image.Pt(th.Width, th.Height); got != want {
				t.Errorf("size %v, want %v", got, want)
			}
			if th.SourceFormat != "jpeg" || th.Format != JPEG {
				t.Errorf("source format %q, thumbnail format %q", th.SourceFormat, th.Format)
			}
			if th.Width > th.SourceWidth || th.Height > th.SourceHeight {
				t.Errorf("thumbnail %dx%d larger than source %dx%d", th.Width, th.Height, th.SourceWidth, th.SourceHeight)
			}
			if th.Decode <= 0 || th.Resize < 0 || th.Encode <= 0 {
				t.Errorf("stage times not recorded: %v %v %v", th.Decode, th.Resize, th.Encode)
			}
		})
	}
}

// TestMakeOrientationByContent makes a thumbnail of each Landscape_N and Portrait_N photo (N
// = 0 for no tag, 1..8), checks its size, and compares it with the thumbnail of the copy
// stored upright (orientation 1).
func TestMakeOrientationByContent(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for _, tc := range []struct {
		kind string
		size image.Point
	}{{"Landscape", image.Pt(320, 213)}, {"Portrait", image.Pt(213, 320)}} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			_, want := makeThumb(t, m, testphotos.Read(t, fmt.Sprintf("orientation/%s_1.jpg", tc.kind)))
			wrong := meanAbsError(t, want, mirrored(want))
			t.Logf("a mirrored thumbnail differs by %.1f per channel", wrong)
			for n := 0; n <= 8; n++ {
				name := fmt.Sprintf("orientation/%s_%d.jpg", tc.kind, n)
				th, got := makeThumb(t, m, testphotos.Read(t, name))
				if size := image.Pt(th.Width, th.Height); size != tc.size || th.Orientation != max(n, 1) {
					t.Errorf("%s: %v, orientation %d; want %v, %d", name, size, th.Orientation, tc.size, max(n, 1))
					continue
				}
				e := meanAbsError(t, got, want)
				t.Logf("%s: %.2f", name, e)
				if maxOf(e) > orientationTolerance {
					t.Errorf("%s differs from %s_1 by %.2f per channel, want ≤ %v", name, tc.kind, e, orientationTolerance)
				}
			}
		})
	}
}

// orientationTolerance is the largest mean difference per channel (levels of 255) between
// two thumbnails of the same picture stored in different orientations. The files were each
// JPEG-compressed from a differently turned copy, so their pixels differ a little everywhere
// (measured: at most 2.2); a mirrored thumbnail differs by 39–85.
const orientationTolerance = 4.0

// mirrored returns img flipped left to right, as a wrongly oriented thumbnail would be.
func mirrored(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.SetRGBA(b.Dx()-1-x, y, img.RGBAAt(x, y))
		}
	}
	return out
}

// TestMakeMatchesReference compares thumbnails with a reference made independently: the
// photo decoded by image/jpeg, turned upright by x/image/draw (nearest-neighbour affine
// transform, exact for quarter turns), and scaled by x/image/draw's Catmull-Rom.
func TestMakeMatchesReference(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for _, name := range []string{
		// 12 MP: box pre-shrink by 6; orientation 6: pre-shrink by 3 and a quarter turn;
		// orientations 5 and 7: the mirrored quarter turns; 636x227: Catmull-Rom alone.
		"camera-4032x3024.jpg", "camera-2048x1536-orient6.jpg", "orientation/Landscape_5.jpg",
		"orientation/Portrait_7.jpg", "invalid/invalid-exif-1.jpg",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := testphotos.Read(t, name)
			wk := &worker{}
			defer wk.codec.close()
			pixels := renderPixels(t, m, wk, src)[0]
			th, got := makeThumb(t, m, src)
			ref := reference(t, src, th.Orientation, th.Width, th.Height)
			resized := meanAbsError(t, pixels, ref)

			refJPEG := rgbaOf(decodeOutput(t, Thumbnail{Format: JPEG, Data: encodeAt(t, ref, m.cfg.Quality), Width: th.Width, Height: th.Height}))
			encoded := meanAbsError(t, got, refJPEG)
			t.Logf("mean error per channel: pixels %.2f, JPEG %.2f (the JPEG encoding itself costs %.2f)",
				resized, encoded, meanAbsError(t, refJPEG, ref))
			if maxOf(resized) > resizeTolerance {
				t.Errorf("pixels differ from the reference by %.2f per channel, want ≤ %v", resized, resizeTolerance)
			}
			if maxOf(encoded) > encodedTolerance {
				t.Errorf("JPEG differs from the reference encoded alike by %.2f per channel, want ≤ %v", encoded, encodedTolerance)
			}
		})
	}
}

// Tolerances against the reference, as mean difference per channel in levels of 255.
//
// resizeTolerance is for the pixels before encoding. With image/jpeg (CGO_ENABLED=0) bild's
// Catmull-Rom matches x/image's to rounding and the box pre-shrink keeps it within ~0.7 on these
// photos (BenchmarkResizeFilter). With libjpeg-turbo it is within ~1.7: that decoder
// interpolates chroma where image/jpeg (the reference's) repeats it, 0.2–0.8 apart at full size,
// and it shrinks by 1/2, 1/4 or 1/8 in the DCT, a box filter, before Catmull-Rom. The reference
// shifted by one pixel differs from itself by 2.5–11 on the same photos, so a misplaced
// picture, a lost channel or a wrong filter normalisation still fails.
//
// encodedTolerance is for the JPEG, compared with the reference encoded the same way:
// quantisation (and 4:2:0 chroma subsampling with image/jpeg) alone cost the reference 2–6
// levels, and two encodings of nearly equal pictures differ by 1–2.
const (
	resizeTolerance  = 2.0
	encodedTolerance = 3.5
)

// renderPixels returns a copy of the pixels of every size render makes of src with wk, before
// encoding, in the order of m's Sizes.
func renderPixels(tb testing.TB, m *Maker, wk *worker, src []byte) []*image.RGBA {
	tb.Helper()
	var got []*image.RGBA
	var boxes []int
	_, err := m.render(wk, src, func(t target, small *image.RGBA) error {
		c, _ := keep(nil, small)
		got, boxes = append(got, c), append(boxes, t.boxes[0])
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	byConfig := make([]*image.RGBA, 0, len(got))
	for _, box := range m.cfg.Boxes() {
		if i := slices.Index(boxes, box); i >= 0 {
			byConfig = append(byConfig, got[i])
		}
	}
	return byConfig
}

func encodeAt(tb testing.TB, img *image.RGBA, quality int) []byte {
	tb.Helper()
	var c codec
	defer c.close()
	data, err := c.encodeJPEG(img, quality)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func reference(tb testing.TB, src []byte, o, w, h int) *image.RGBA {
	tb.Helper()
	return scaleTo(uprightPhoto(tb, src, o), w, h)
}

// uprightPhoto is the photo src decoded by image/jpeg and turned upright for orientation o.
func uprightPhoto(tb testing.TB, src []byte, o int) *image.RGBA {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		tb.Fatal(err)
	}
	sw, sh := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
	// Source-to-upright affine maps, from the EXIF definitions, in continuous coordinates.
	s2d := map[int]f64.Aff3{
		1: {1, 0, 0, 0, 1, 0},
		2: {-1, 0, sw, 0, 1, 0},
		3: {-1, 0, sw, 0, -1, sh},
		4: {1, 0, 0, 0, -1, sh},
		5: {0, 1, 0, 1, 0, 0},
		6: {0, -1, sh, 1, 0, 0},
		7: {0, -1, sh, -1, 0, sw},
		8: {0, 1, 0, -1, 0, sw},
	}[o]
	uw, uh := int(sw), int(sh)
	if o >= 5 {
		uw, uh = uh, uw
	}
	up := image.NewRGBA(image.Rect(0, 0, uw, uh))
	xdraw.NearestNeighbor.Transform(up, s2d, img, img.Bounds(), draw.Src, nil)
	return up
}

// scaleTo scales img to w×h with x/image/draw's Catmull-Rom.
func scaleTo(img *image.RGBA, w, h int) *image.RGBA {
	ref := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(ref, ref.Bounds(), img, img.Bounds(), draw.Src, nil)
	return ref
}
