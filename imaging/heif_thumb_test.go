//go:build cgo && !purego && !noheif

package imaging

import (
	"bytes"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/photoproc/photoproc/imaging/heiftest"
	"github.com/photoproc/photoproc/internal/testphotos"
)

// heifWithThumbnail encodes the JPEG testdata/photos/name with heif-enc (HEIC, or AVIF for
// ext "avif") at quality 85, with a thumbnail item of at most thumb pixels a side as phones
// write them: a Lanczos downscale (photoproc's own JPEG thumbnail, encoded by heif-enc too; its
// -t option scales by nearest neighbour, which no phone does). The pixels are as stored, with no
// irot or imir (this heif-enc writes none).
func heifWithThumbnail(tb testing.TB, name, ext string, thumb int) []byte {
	tb.Helper()
	photo := testphotos.Read(tb, name)
	// Without its EXIF block, so that the thumbnail is stored as the photo is.
	small, err := newMaker(tb, func(c *Config) { c.Size = thumb }).Make(withoutMetadata(tb, photo))
	if err != nil {
		tb.Fatal(err)
	}
	f := readHEIF(tb, heifEnc(tb, photo, ext))
	f.AddThumbnail(readHEIF(tb, heifEnc(tb, small.Primary().Data, ext)))
	return f.Bytes()
}

// withoutMetadata returns a JPEG without its EXIF and other metadata (jpegtran -copy none).
func withoutMetadata(tb testing.TB, jpg []byte) []byte {
	tb.Helper()
	jpegtran, err := exec.LookPath("jpegtran")
	if err != nil {
		tb.Fatal("jpegtran not found: install the Debian package libjpeg-turbo-progs (listed in .ci/packages)")
	}
	cmd := exec.Command(jpegtran, "-copy", "none")
	cmd.Stdin = bytes.NewReader(jpg)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("jpegtran: %v", err)
	}
	return out
}

// heifEnc encodes a JPEG with heif-enc at quality 85 as HEIC, or AVIF for ext "avif", with
// heif-enc's options args.
func heifEnc(tb testing.TB, jpg []byte, ext string, args ...string) []byte {
	tb.Helper()
	enc, err := exec.LookPath("heif-enc")
	if err != nil {
		tb.Fatal("heif-enc not found: install the Debian package libheif-examples (listed in .ci/packages)")
	}
	dir := tb.TempDir()
	in, out := filepath.Join(dir, "in.jpg"), filepath.Join(dir, "out."+ext)
	if err := os.WriteFile(in, jpg, 0o644); err != nil {
		tb.Fatal(err)
	}
	if b, err := exec.Command(enc, append([]string{"-q", "85", in, "-o", out}, args...)...).CombinedOutput(); err != nil {
		tb.Fatalf("heif-enc %v: %v: %s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func itoa(n int) string { return strconv.Itoa(n) }

// thumbnailItem returns the index of the thumbnail item of f.
func thumbnailItem(tb testing.TB, f *heiftest.File) int {
	tb.Helper()
	for i, it := range f.Items {
		for _, r := range it.Refs {
			if r.Type == "thmb" {
				return i
			}
		}
	}
	tb.Fatal("no thumbnail item")
	return -1
}

// withoutThumbnail returns data with its thumbnail item's reference to the primary image
// removed: the same picture, which libheif then decodes whole.
func withoutThumbnail(tb testing.TB, data []byte) []byte {
	tb.Helper()
	f := readHEIF(tb, data)
	f.Items[thumbnailItem(tb, f)].Refs = nil
	return f.Bytes()
}

// TestHEIFThumbnailItems: a thumbnail item that covers the box stands for the primary image,
// is decoded instead of it (the decode is the item's size), and makes a thumbnail within 5
// levels of the one made from the whole picture; one that does not cover every box, or a set
// whose largest box it does not cover, is not used.
func TestHEIFThumbnailItems(t *testing.T) {
	t.Parallel()
	for _, ext := range []string{"heic", "avif"} {
		t.Run(ext, func(t *testing.T) {
			t.Parallel()
			// 600x400 with a 320x213 thumbnail.
			src := heifWithThumbnail(t, "orientation/Landscape_1.jpg", ext, 320)
			f, _ := heifFormat(src)
			for _, tc := range []struct {
				sizes []int
				item  bool
			}{
				{[]int{320}, true},
				{[]int{320, 160}, true},
				{[]int{200}, true},
				{[]int{321}, false},
				{[]int{160, 640}, false},
			} {
				m := newMaker(t, func(c *Config) { c.Sizes = tc.sizes })
				largest := image.Pt(fit(600, 400, max(tc.sizes[0], tc.sizes[len(tc.sizes)-1])))
				img, err := decodeHEIF(f, src, image.Pt(600, 400), largest)
				if err != nil {
					t.Fatal(err)
				}
				if got := img.Bounds().Size() == image.Pt(320, 213); got != tc.item {
					t.Errorf("sizes %v: decoded %v, thumbnail item used %v, want %v", tc.sizes, img.Bounds().Size(), got, tc.item)
				}
				got, err := m.Make(src)
				if err != nil {
					t.Fatal(err)
				}
				want, err := m.Make(withoutThumbnail(t, src))
				if err != nil {
					t.Fatal(err)
				}
				for i := range want.Thumbnails {
					e := meanAbsError(t, decodeOutput(t, got.Thumbnails[i]), decodeOutput(t, want.Thumbnails[i]))
					t.Logf("sizes %v: %d is %.2f from the whole picture's", tc.sizes, want.Thumbnails[i].Box, e)
					if maxOf(e) > 5 {
						t.Errorf("sizes %v: %d is %.2f from the whole picture's", tc.sizes, want.Thumbnails[i].Box, e)
					}
				}
			}
		})
	}
}

// TestHEIFThumbnailTurnedAsThePrimary: a photo stored turned, with the irot and imir that show
// it upright on its primary image only (its thumbnail is stored the same way): the thumbnail
// item is shown with the primary's turn, and matches the upright JPEG's thumbnail.
func TestHEIFThumbnailTurnedAsThePrimary(t *testing.T) {
	t.Parallel()
	m := newMaker(t, func(c *Config) { c.Size = 200 })
	_, want := makeThumb(t, m, testphotos.Read(t, "orientation/Landscape_1.jpg"))
	for _, o := range []int{2, 5, 6} {
		t.Run(itoa(o), func(t *testing.T) {
			t.Parallel()
			src := heifWithThumbnail(t, "orientation/Landscape_"+itoa(o)+".jpg", "heic", 320)
			src = heifOriented(t, src, o)
			f, _ := heifFormat(src)
			img, err := decodeHEIF(f, src, image.Pt(600, 400), image.Pt(200, 133))
			if err != nil {
				t.Fatal(err)
			}
			if size := img.Bounds().Size(); size != image.Pt(320, 213) {
				t.Fatalf("decoded %v, want the thumbnail item upright, 320x213", size)
			}
			_, got := makeThumb(t, m, src)
			if e := meanAbsError(t, got, want); maxOf(e) > heifOrientationTolerance {
				t.Errorf("%.2f from the upright JPEG's thumbnail, want ≤ %v", e, heifOrientationTolerance)
			}
		})
	}
}

// TestHEIFThumbnailItemsThatLieArePassedOver: a thumbnail item of another shape, one whose
// coded data is not a picture, and one that decodes to another size than it says are all
// passed over for the primary image, whose thumbnail is then made as without them. (One that
// says it is larger than the primary image makes libheif refuse the file, as before: its
// limit on every item's size is the primary's, TestMakeHEIFLimits.)
func TestHEIFThumbnailItemsThatLieArePassedOver(t *testing.T) {
	t.Parallel()
	src := heifWithThumbnail(t, "orientation/Landscape_1.jpg", "heic", 320)
	m := newMaker(t, func(c *Config) { c.Size = 200 })
	_, want := makeThumb(t, m, withoutThumbnail(t, src))
	tiles := readHEIF(t, readTestdata(t, "tiles.heic"))
	lies := map[string]func(f *heiftest.File, th *heiftest.Item){
		// A 64x64 picture of another colour: square, not 3:2.
		"another shape": func(f *heiftest.File, th *heiftest.Item) {
			tile := tiles.Items[tiles.Coded()[tileIndex[red]]]
			th.Props, th.Data = tile.Props, tile.Data
		},
		"garbage data": func(f *heiftest.File, th *heiftest.Item) {
			th.Data = bytes.Repeat([]byte{0x5a}, len(th.Data))
		},
		"says it is larger than it is": func(f *heiftest.File, th *heiftest.Item) {
			replaceIspe(th, 480, 320)
		},
	}
	for name, lie := range lies {
		f := readHEIF(t, src)
		lie(f, &f.Items[thumbnailItem(t, f)])
		_, got := makeThumb(t, m, f.Bytes())
		if e := meanAbsError(t, got, want); maxOf(e) > 0 {
			t.Errorf("%s: %.2f from the whole picture's thumbnail, want the same", name, e)
		}
	}
}

// replaceIspe changes the size an item says it has.
func replaceIspe(it *heiftest.Item, w, h int) {
	for i, p := range it.Props {
		if string(p[4:8]) == "ispe" {
			it.Props[i] = heiftest.Ispe(w, h)
		}
	}
}
