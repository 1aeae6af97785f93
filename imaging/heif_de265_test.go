//go:build cgo && !purego && !noheif

package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"testing"

	"github.com/photoproc/photoproc/imaging/heiftest"
	"github.com/photoproc/photoproc/internal/testphotos"
)

// directTolerance is how far, per channel on average, the direct path's picture may be from
// libheif's of the same file, shrunk by the same blocks. Measured 0.01–0.5 on the photos heif-enc
// encodes here at quality 85, and 0.86–0.96 on testdata/photos/heif's (quality 40): the means
// are converted instead of each pixel, rounded to whole levels first, and libde265 decodes
// without its deblocking and SAO filters (0.45–0.57 with them); the quadrants of the grid, whose
// colours are clipped, 0.
const directTolerance = 1.1

// libheifPicture decodes the primary image of a HEIC through libheif, as decodeHEIF did before
// the direct path (decodeHandle), shrunk for atLeast; and the size it is shown at.
func libheifPicture(tb testing.TB, data []byte, atLeast image.Point) (*image.RGBA, image.Point, heifInfo) {
	tb.Helper()
	info, err := parseHEIF(formatHEIC, data)
	if err != nil {
		tb.Fatal(err)
	}
	shown, err := heifShownSize(formatHEIC, data, info)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := openHEIF(formatHEIC, data, info)
	if err != nil {
		tb.Fatal(err)
	}
	defer d.close()
	img, err := decodeHandle(formatHEIC, d.handle, shown, atLeast, false)
	if err != nil {
		tb.Fatalf("libheif: %v", err)
	}
	return img, shown, info
}

// jpegOf encodes img as a JPEG of quality 95, for heif-enc.
func jpegOf(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// cropJPEG returns the w×h picture at the top-left of a JPEG, as a JPEG.
func cropJPEG(tb testing.TB, jpg []byte, w, h int) []byte {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		tb.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, img, img.Bounds().Min, draw.Src)
	return jpegOf(tb, dst)
}

// photoGrid encodes a JPEG photo as a grid of tile×tile HEVC images, as phones store photos:
// the tiles at the right and bottom reach past the picture (grey there) and are cropped by
// the grid. Each tile is encoded by itself with heif-enc; the file shares no hvcC.
func photoGrid(tb testing.TB, jpg []byte, tile int, props ...[]byte) []byte {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		tb.Fatal(err)
	}
	size := img.Bounds().Size()
	cols, rows := ceilDiv(size.X, tile), ceilDiv(size.Y, tile)
	f := &heiftest.File{}
	var refs []int
	for r := range rows {
		for c := range cols {
			t := image.NewRGBA(image.Rect(0, 0, tile, tile))
			draw.Draw(t, t.Rect, image.NewUniform(color.Gray{Y: 128}), image.Point{}, draw.Src)
			draw.Draw(t, t.Rect, img, img.Bounds().Min.Add(image.Pt(c*tile, r*tile)), draw.Src)
			src := readHEIF(tb, heifEnc(tb, jpegOf(tb, t), "heic"))
			if f.Brands == nil {
				f.Brands = src.Brands
			}
			it := src.Items[src.Primary]
			if it.Type != "hvc1" {
				tb.Fatalf("heif-enc wrote a %s item for a %d-pixel tile", it.Type, tile)
			}
			it.Hidden = true
			refs = append(refs, len(f.Items))
			f.Items = append(f.Items, it)
		}
	}
	f.Primary = len(f.Items)
	f.Items = append(f.Items, heiftest.Item{
		Type:  "grid",
		Props: append([][]byte{heiftest.Ispe(size.X, size.Y)}, props...),
		Refs:  []heiftest.Ref{{Type: "dimg", To: refs}},
		Data:  heiftest.GridData(rows, cols, size.X, size.Y),
	})
	return f.Bytes()
}

// TestHEIFDirectMatchesLibheif: the direct path decodes HEICs of every kind it takes within
// directTolerance of libheif's picture of the same file (decodeHandle, as decodeHEIF did
// before): single images and grids, each orientation, odd sizes, 4:4:4 and 4:2:2, BT.709 in
// limited range. decodeHEIFDirect does not fall back: an error fails the test.
func TestHEIFDirectMatchesLibheif(t *testing.T) {
	t.Parallel()
	landscape := testphotos.Read(t, "orientation/Landscape_1.jpg") // 600x400
	camera := testphotos.Read(t, "camera-1600x1200.jpg")
	thumb := image.Pt(100, 100) // blocks of 2 for 600x400, with chroma planes as large as the result
	cases := []struct {
		name    string
		src     func(t *testing.T) []byte
		atLeast image.Point
	}{
		{"photo 1600x1200, blocks of 3", func(t *testing.T) []byte { return heifEnc(t, camera, "heic") }, image.Pt(200, 200)},
		{"photo 600x400, blocks of 2", func(t *testing.T) []byte { return heifEnc(t, landscape, "heic") }, image.Pt(150, 100)},
		{"photo 600x400, blocks of 7 and 8", func(t *testing.T) []byte { return heifEnc(t, landscape, "heic") }, image.Pt(42, 28)},
		// heif-enc stores these as a grid of one tile of 600x400 and 432x600, cropped. (A
		// picture of two odd sides is coded one larger than its longer side, which libheif
		// refuses under the limit openHEIF sets.)
		{"odd height 600x397", func(t *testing.T) []byte { return heifEnc(t, cropJPEG(t, landscape, 600, 397), "heic") }, image.Pt(40, 40)},
		{"odd width 425x600", func(t *testing.T) []byte { return heifEnc(t, cropJPEG(t, camera, 425, 600), "heic") }, image.Pt(40, 40)},
		{"4:4:4", func(t *testing.T) []byte { return heifEnc(t, landscape, "heic", "-p", "chroma=444") }, thumb},
		{"4:2:2", func(t *testing.T) []byte { return heifEnc(t, landscape, "heic", "-p", "chroma=422") }, thumb},
		{"BT.709 limited range", func(t *testing.T) []byte {
			return heifEnc(t, landscape, "heic", "--matrix_coefficients=1", "--full_range_flag=0")
		}, thumb},
		{"BT.2020 full range", func(t *testing.T) []byte { return heifEnc(t, landscape, "heic", "--matrix_coefficients=9") }, thumb},
		{"grid of 256x256 tiles cropped", func(t *testing.T) []byte { return photoGrid(t, landscape, 256) }, image.Pt(60, 40)},
		{"grey 4:0:0", func(t *testing.T) []byte { return heifEnc(t, readTestdata(t, "gray.jpg"), "heic") }, image.Pt(8, 8)},
		{"grey 4:0:0, limited range", func(t *testing.T) []byte {
			return heifEnc(t, readTestdata(t, "gray.jpg"), "heic", "--full_range_flag=0")
		}, image.Pt(8, 8)},
		{"grid of colours", func(t *testing.T) []byte { return heifGrid(t, "heic", upright).Bytes() }, image.Pt(20, 20)},
	}
	for _, o := range []int{2, 3, 5, 6, 7, 8} {
		cases = append(cases, struct {
			name    string
			src     func(t *testing.T) []byte
			atLeast image.Point
		}{"orientation " + itoa(o), func(t *testing.T) []byte {
			return heifOriented(t, testphotos.Read(t, "heif/Landscape_"+itoa(o)+".heic"), o)
		}, image.Pt(100, 100)})
	}
	cases = append(cases, struct {
		name    string
		src     func(t *testing.T) []byte
		atLeast image.Point
	}{"grid, orientation 6", func(t *testing.T) []byte { return photoGrid(t, landscape, 256, heiftest.Orientation(6)...) }, image.Pt(40, 60)})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := tc.src(t)
			want, shown, info := libheifPicture(t, src, tc.atLeast)
			got, err := decodeHEIFDirect(src, info, shown, tc.atLeast)
			if err != nil {
				t.Fatalf("direct path: %v", err)
			}
			if got.Rect != want.Rect {
				t.Fatalf("direct path %v, libheif %v", got.Rect, want.Rect)
			}
			e := meanAbsError(t, got, want)
			t.Logf("%v (%s, turn %d): %.2f from libheif's", got.Rect.Size(), info.kind, info.turn, e)
			if maxOf(e) > directTolerance {
				t.Errorf("%.2f per channel from libheif's picture, want ≤ %v", e, directTolerance)
			}
		})
	}
}

// TestHEIFDirectLargeBox: for a box more than half the picture (blocks of one pixel, which
// 4:2:0 chroma cannot give) the direct path shrinks by 2, which still covers the box; the
// thumbnail resized from there is no further from the source JPEG's thumbnail than the one
// resized from libheif's whole picture (measured: 2.9 against 3.3 levels). Turned by irot, the
// box is checked in the picture's own axes.
func TestHEIFDirectLargeBox(t *testing.T) {
	t.Parallel()
	box := image.Pt(250, 167)
	m := newMaker(t, func(c *Config) { c.Size = box.X })
	for _, o := range []int{1, 6} {
		jpg := testphotos.Read(t, "orientation/Landscape_"+itoa(o)+".jpg")
		src := heifEnc(t, jpg, "heic")
		if o != 1 {
			src = heifOriented(t, src, o)
		}
		want, shown, info := libheifPicture(t, src, box)
		got, err := decodeHEIFDirect(src, info, shown, box)
		if err != nil {
			t.Fatalf("orientation %d: direct path: %v", o, err)
		}
		if got.Rect.Dx() != shown.X/2 || got.Rect.Dy() != shown.Y/2 || want.Rect.Size() != shown {
			t.Fatalf("orientation %d: direct %v, libheif %v, want half and all of %v", o, got.Rect, want.Rect, shown)
		}
		_, ref := makeThumb(t, m, jpg)
		direct := maxOf(meanAbsError(t, (&worker{}).resize(got, box.X, box.Y, true), ref))
		whole := maxOf(meanAbsError(t, (&worker{}).resize(want, box.X, box.Y, true), ref))
		t.Logf("orientation %d: %.2f from the JPEG's thumbnail, libheif's whole picture %.2f", o, direct, whole)
		if direct > whole+0.25 {
			t.Errorf("orientation %d: %.2f from the JPEG's thumbnail, libheif's whole picture %.2f", o, direct, whole)
		}
	}
	// A box the halved picture would not cover stays with libheif.
	src := heifEnc(t, testphotos.Read(t, "orientation/Landscape_1.jpg"), "heic")
	_, shown, info := libheifPicture(t, src, image.Pt(320, 213))
	if _, err := decodeHEIFDirect(src, info, shown, image.Pt(320, 213)); !errors.Is(err, errNotDirect) {
		t.Errorf("a 320 box of a 600x400 4:2:0 picture: %v, want errNotDirect", err)
	}
}

// TestDecodeHEIFTakesDirectPath: decodeHEIF gives the direct path's picture where it applies
// (not libheif's, which differs from it a little), libheif's where it does not (10 bits, an
// alpha plane, AVIF), and the thumbnail item where one stands for the picture.
func TestDecodeHEIFTakesDirectPath(t *testing.T) {
	t.Parallel()
	src := heifEnc(t, testphotos.Read(t, "orientation/Landscape_1.jpg"), "heic")
	atLeast := image.Pt(100, 100)
	want, shown, info := libheifPicture(t, src, atLeast)
	direct, err := decodeHEIFDirect(src, info, shown, atLeast)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(direct.Pix, want.Pix) {
		t.Fatal("the direct path's picture is libheif's to the byte: this test cannot tell them apart")
	}
	img, err := decodeHEIF(formatHEIC, src, shown, atLeast)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := img.(opaqueRGBA)
	if !ok || !bytes.Equal(o.Pix, direct.Pix) {
		t.Errorf("decodeHEIF did not give the direct path's picture (%T)", img)
	}
	for _, name := range []string{"quad10.heic", "alpha.heic"} {
		data := readTestdata(t, name)
		info, err := parseHEIF(formatHEIC, data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeHEIFDirect(data, info, info.size, image.Pt(8, 8)); !errors.Is(err, errNotDirect) {
			t.Errorf("%s: %v, want errNotDirect", name, err)
		}
	}
}

// TestHEIFDirectMixedTiles: a grid whose tiles differ in chroma format (libheif converts each
// by itself) is left to libheif, which shows it as before.
func TestHEIFDirectMixedTiles(t *testing.T) {
	t.Parallel()
	f := heifGrid(t, "heic", upright)
	full := readHEIF(t, heifEnc(t, cropJPEG(t, testphotos.Read(t, "orientation/Landscape_1.jpg"), 64, 64), "heic", "-p", "chroma=444"))
	if it := full.Items[full.Primary]; it.Type != "hvc1" {
		t.Fatalf("heif-enc wrote a %s item", it.Type)
	}
	tile := full.Items[full.Primary]
	tile.Hidden = true
	f.Items[3] = tile // bottom right: 4:4:4 among 4:2:0
	src := f.Bytes()
	want, shown, info := libheifPicture(t, src, image.Pt(20, 20))
	if _, err := decodeHEIFDirect(src, info, shown, image.Pt(20, 20)); !errors.Is(err, errNotDirect) {
		t.Errorf("tiles of 4:2:0 and 4:4:4: %v, want errNotDirect", err)
	}
	got, err := decodeHEIF(formatHEIC, src, shown, image.Pt(20, 20))
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := got.(opaqueRGBA); !ok || !bytes.Equal(o.Pix, want.Pix) {
		t.Error("decodeHEIF did not give libheif's picture")
	}
}

// TestHEIFDirectDamaged: a HEVC stream cut short, missing a slice or with bits flipped never
// gives a picture where libheif refuses the file. Where libde265 reports an error or a warning,
// or leaves part of the picture undecoded (undecodedBlock), the direct path refuses it and
// libheif decides, as before (libheif 1.15 ignores libde265's errors and shows such pictures).
// Where libde265 notices nothing, both paths show a damaged picture, not the same one: that was
// so before the direct path (docs/security.md). An item located outside the file is
// refused, and libheif then says the file is truncated.
func TestHEIFDirectDamaged(t *testing.T) {
	t.Parallel()
	good := heifEnc(t, testphotos.Read(t, "orientation/Landscape_1.jpg"), "heic")
	f := readHEIF(t, good)
	p := f.Items[f.Primary]
	if p.Type != "hvc1" {
		t.Fatalf("heif-enc wrote a %s item", p.Type)
	}
	atLeast := image.Pt(100, 100)
	damage := map[string]func(data []byte) []byte{
		// The slice's NAL unit cut to half, its length prefix saying so.
		"slice cut in half": func(data []byte) []byte {
			n := binary.BigEndian.Uint32(data) / 2
			out := binary.BigEndian.AppendUint32(nil, n)
			return append(out, data[4:4+n]...)
		},
		"length prefix past the end": func(data []byte) []byte {
			out := bytes.Clone(data)
			binary.BigEndian.PutUint32(out, uint32(len(data)))
			return out
		},
	}
	for _, at := range []int{40, 300, 2000, 9000} {
		damage["bits flipped at "+itoa(at)] = func(data []byte) []byte {
			out := bytes.Clone(data)
			for i := at; i < min(len(out), at+16); i++ {
				out[i] ^= 0xa5
			}
			return out
		}
	}
	m := newMaker(t, nil)
	for name, change := range damage {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := readHEIF(t, good)
			g.Items[g.Primary].Data = change(g.Items[g.Primary].Data)
			src := g.Bytes()
			info, err := parseHEIF(formatHEIC, src)
			if err != nil {
				t.Fatal(err)
			}
			shown := image.Pt(600, 400)
			got, err := decodeHEIFDirect(src, info, shown, atLeast)
			if err != nil {
				_, made := m.Make(src) // libheif decides, as before
				t.Logf("direct path: %v; libheif: %v", err, made)
				return
			}
			d, err := openHEIF(formatHEIC, src, info)
			if err != nil {
				t.Fatal(err)
			}
			defer d.close()
			want, err := decodeHandle(formatHEIC, d.handle, shown, atLeast, false)
			if err != nil {
				t.Fatalf("the direct path decoded what libheif refuses (%v)", err)
			}
			t.Logf("libde265 saw nothing wrong: both paths decode, %.2f apart", meanAbsError(t, got, want))
		})
	}

	// A picture coded in four slices, the last one missing: libde265 reports nothing and
	// leaves the bottom of the picture unwritten, which undecodedBlock finds.
	sliced := readHEIF(t, heifEnc(t, testphotos.Read(t, "orientation/Landscape_1.jpg"), "heic", "-p", "x265:slices=4"))
	nals, err := splitNALs(sliced.Items[sliced.Primary].Data, 4)
	if err != nil || len(nals) != 4 {
		t.Fatalf("%d NAL units (%v), want 4 slices", len(nals), err)
	}
	sliced.Items[sliced.Primary].Data = sliced.Items[sliced.Primary].Data[:len(sliced.Items[sliced.Primary].Data)-4-len(nals[3])]
	src := sliced.Bytes()
	info, err := parseHEIF(formatHEIC, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeHEIFDirect(src, info, image.Pt(600, 400), atLeast); !errors.Is(err, errNotDirect) {
		t.Errorf("last slice missing: %v, want errNotDirect", err)
	} else {
		t.Logf("last slice missing: %v", err)
	}

	// The picture's data said to be 1 MB past where it is.
	src = bytes.Clone(good)
	loc := bytes.Index(src, []byte("iloc"))
	if loc < 0 {
		t.Fatal("no iloc")
	}
	items, err := parseIloc(src[loc+4 : loc+4+int(binary.BigEndian.Uint32(src[loc-4:]))-8])
	if err != nil {
		t.Fatal(err)
	}
	if info, err = parseHEIF(formatHEIC, src); err != nil {
		t.Fatal(err)
	}
	m2, _, err := heifMetaOf(src)
	if err != nil {
		t.Fatal(err)
	}
	off := items[m2.primary].extents[0].offset
	// The extent's offset is written as a 4-byte number somewhere in iloc: move it.
	field := bytes.Index(src[loc:], binary.BigEndian.AppendUint32(nil, uint32(off)))
	if field < 0 {
		t.Fatalf("offset %d not found in iloc", off)
	}
	binary.BigEndian.PutUint32(src[loc+field:], uint32(off)+1<<20)
	if _, err := decodeHEIFDirect(src, info, image.Pt(600, 400), atLeast); !errors.Is(err, errNotDirect) {
		t.Errorf("item outside the file: %v, want errNotDirect", err)
	}
	if _, err := m.Make(src); !errors.Is(err, ErrCorrupt) {
		t.Errorf("item outside the file: Make = %v, want ErrCorrupt", err)
	}
}
