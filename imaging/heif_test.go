package imaging

import (
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/imaging/heiftest"
	"github.com/photoproc/photoproc/internal/testphotos"
)

// The HEIF samples: heif-enc's files in testdata (see its README.md) and testdata/photos/heif,
// and files rearranged from them with heiftest, for what heif-enc 1.15 cannot write (rotation,
// mirror, grids, thumbnails and depth maps of other content).

// readHEIF reads a file heif-enc wrote, for heiftest to rearrange.
func readHEIF(tb testing.TB, data []byte) *heiftest.File {
	tb.Helper()
	f, err := heiftest.Read(data)
	if err != nil {
		tb.Fatalf("heiftest.Read: %v", err)
	}
	return f
}

// heifOriented returns data with the irot and imir properties that show a picture stored as
// EXIF orientation o says upright, added to its primary image.
func heifOriented(tb testing.TB, data []byte, o int) []byte {
	tb.Helper()
	f := readHEIF(tb, data)
	p := &f.Items[f.Primary]
	p.Props = append(p.Props, heiftest.Orientation(o)...)
	return f.Bytes()
}

// tileIndex is the position of each colour's 64x64 image in testdata/tiles.heic and .avif.
var tileIndex = map[color.RGBA]int{red: 0, green: 1, blue: 2, white: 3}

// heifGrid returns a file whose primary image is a 2x2 grid (128x128) of the tiles of
// testdata/tiles.<ext>, their colours placed as layout says (top-left, top-right,
// bottom-left, bottom-right), with props added to the grid item.
func heifGrid(tb testing.TB, ext string, layout [4]color.RGBA, props ...[]byte) *heiftest.File {
	tb.Helper()
	src := readHEIF(tb, readTestdata(tb, "tiles."+ext))
	coded := src.Coded()
	f := &heiftest.File{Brands: src.Brands}
	for _, c := range layout {
		tile := src.Items[coded[tileIndex[c]]]
		tile.Hidden = true
		f.Items = append(f.Items, tile)
	}
	f.Primary = len(f.Items)
	f.Items = append(f.Items, heiftest.Item{
		Type:  "grid",
		Props: append([][]byte{heiftest.Ispe(128, 128)}, props...),
		Refs:  []heiftest.Ref{{Type: "dimg", To: []int{0, 1, 2, 3}}},
		Data:  heiftest.GridData(2, 2, 128, 128),
	})
	return f
}

// withDecoys puts before the primary image of f a thumbnail of it (a red tile) and a depth map
// (a blue tile): neither may be what is shown.
func withDecoys(tb testing.TB, f *heiftest.File) []byte {
	tb.Helper()
	coded := f.Coded()
	thumb, depth := f.Items[coded[tileIndex[red]]], f.Items[coded[tileIndex[blue]]]
	depth.Props = append(depth.Props, heiftest.AuxC(heiftest.DepthURN))
	thumb.Hidden, depth.Hidden = false, true
	// Both refer to the primary image, which moves two places on.
	thumb.Refs = []heiftest.Ref{{Type: "thmb", To: []int{f.Primary + 2}}}
	depth.Refs = []heiftest.Ref{{Type: "auxl", To: []int{f.Primary + 2}}}
	out := &heiftest.File{Brands: f.Brands, Primary: f.Primary + 2, Items: []heiftest.Item{thumb, depth}}
	for _, it := range f.Items {
		for i, r := range it.Refs {
			to := make([]int, len(r.To))
			for j, t := range r.To {
				to[j] = t + 2
			}
			it.Refs[i].To = to
		}
		out.Items = append(out.Items, it)
	}
	return out.Bytes()
}

func TestParseHEIF(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  []byte
		want heifInfo
	}{
		// heif-enc puts a HEVC picture whose size is not a multiple of 64 in a grid of one tile.
		{"quad.heic", readTestdata(t, "quad.heic"), heifInfo{kind: "grid", codec: "HEVC", size: image.Pt(64, 48), depth: 8, tiles: 1, turn: 1}},
		{"quad.avif", readTestdata(t, "quad.avif"), heifInfo{kind: "av01", codec: "AV1", size: image.Pt(64, 48), depth: 8, turn: 1}},
		{"alpha.heic", readTestdata(t, "alpha.heic"), heifInfo{kind: "grid", codec: "HEVC", size: image.Pt(64, 48), depth: 8, alpha: true, tiles: 1, turn: 1}},
		{"alpha.avif", readTestdata(t, "alpha.avif"), heifInfo{kind: "av01", codec: "AV1", size: image.Pt(64, 48), depth: 8, alpha: true, turn: 1}},
		{"quad10.heic", readTestdata(t, "quad10.heic"), heifInfo{kind: "grid", codec: "HEVC", size: image.Pt(64, 48), depth: 10, tiles: 1, turn: 1}},
		{"quad10.avif", readTestdata(t, "quad10.avif"), heifInfo{kind: "av01", codec: "AV1", size: image.Pt(64, 48), depth: 10, turn: 1}},
		{"tiles.heic: the first of four images", readTestdata(t, "tiles.heic"), heifInfo{kind: "hvc1", codec: "HEVC", size: image.Pt(64, 64), depth: 8, turn: 1}},
		{"2x2 grid with a thumbnail and a depth map", withDecoys(t, heifGrid(t, "avif", upright, heiftest.Irot(1))),
			heifInfo{kind: "grid", codec: "AV1", size: image.Pt(128, 128), depth: 8, tiles: 4, turn: 8}},
		{"photo: ispe is the stored size", heifOriented(t, testphotos.Read(t, "heif/Landscape_6.heic"), 6),
			heifInfo{kind: "hvc1", codec: "HEVC", size: image.Pt(400, 600), depth: 8, turn: 6}},
	} {
		f, ok := heifFormat(tc.src)
		if !ok {
			t.Errorf("%s: not sniffed as HEIF", tc.name)
			continue
		}
		got, err := parseHEIF(f, tc.src)
		got.icc, got.nclx = "", "" // colour_test.go reads them
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

// TestParseHEIFErrors checks that a damaged container is ErrCorrupt and a well-formed one of a
// kind libheif does not decode is ErrUnsupportedFormat, each saying what was found.
func TestParseHEIFErrors(t *testing.T) {
	t.Parallel()
	quad := readTestdata(t, "quad.avif")
	edit := func(change func(f *heiftest.File)) []byte {
		f := readHEIF(t, quad)
		change(f)
		return f.Bytes()
	}
	meta := strings.Index(string(quad), "meta") - 4
	for _, tc := range []struct {
		name string
		src  []byte
		want error
		msg  string
	}{
		{"cut in the meta box", quad[:meta+40], ErrCorrupt, "truncated AVIF"},
		{"cut after ftyp", quad[:meta], ErrCorrupt, "no meta box"},
		{"no size", edit(func(f *heiftest.File) { f.Items[0].Props = f.Items[0].Props[:1] }), ErrCorrupt, "no size (ispe)"},
		{"zero size", edit(func(f *heiftest.File) { f.Items[0].Props[1] = heiftest.Ispe(0, 48) }), ErrCorrupt, "0x48"},
		{"JPEG 2000 item", edit(func(f *heiftest.File) { f.Items[0].Type = "j2k1" }), ErrUnsupportedFormat, "coded as JPEG 2000"},
		{"VVC item", edit(func(f *heiftest.File) { f.Items[0].Type = "vvc1" }), ErrUnsupportedFormat, "coded as VVC"},
		{"grid of nothing", edit(func(f *heiftest.File) { f.Items[0].Type = "grid" }), ErrCorrupt, "made of no images"},
		{"item description cut short", edit(func(f *heiftest.File) { f.Items[0].Type = "" }), ErrCorrupt, "infe box of 9 bytes"},
		{"animation only", append(heiftest.Box("ftyp", []byte("avis\x00\x00\x00\x00avismsf1")), heiftest.Box("moov")...),
			ErrUnsupportedFormat, "an AVIF image sequence (animation) without a still image"},
	} {
		f, ok := heifFormat(tc.src)
		if !ok {
			t.Errorf("%s: not sniffed as HEIF", tc.name)
			continue
		}
		_, err := parseHEIF(f, tc.src)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v; want %v saying %q", tc.name, err, tc.want, tc.msg)
		}
	}
}

// FuzzParseHEIF feeds any bytes after an ftyp box to the container reader: it must not panic,
// and its errors must say corrupt or unsupported.
func FuzzParseHEIF(f *testing.F) {
	for _, name := range []string{"quad.heic", "quad.avif", "alpha.heic", "alpha.avif", "quad10.avif", "tiles.heic"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(withDecoys(f, heifGrid(f, "heic", upright, heiftest.Orientation(5)...)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range []format{formatHEIC, formatAVIF} {
			info, err := parseHEIF(fm, data)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedFormat) {
					t.Fatalf("error of no known kind: %v", err)
				}
				continue
			}
			if info.size.X <= 0 || info.size.Y <= 0 || info.codec == "" || info.depth < 1 {
				t.Fatalf("accepted with %+v", info)
			}
		}
	})
}

// TestHEIFTurn: the rotation and mirror properties heiftest.Orientation writes for each EXIF
// orientation (those the orientation tests check libheif shows upright) read back as it.
func TestHEIFTurn(t *testing.T) {
	t.Parallel()
	for o := 1; o <= 8; o++ {
		f := readHEIF(t, readTestdata(t, "quad.heic"))
		p := &f.Items[f.Primary]
		p.Props = append(p.Props, heiftest.Orientation(o)...)
		info, err := parseHEIF(formatHEIC, f.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if info.turn != o || info.cropped {
			t.Errorf("orientation %d read as %d, cropped %v", o, info.turn, info.cropped)
		}
	}
	for _, tc := range []struct{ a, b, want int }{{1, 1, 1}, {6, 6, 3}, {3, 3, 1}, {8, 6, 1}, {2, 2, 1}, {6, 2, 5}, {6, 4, 7}, {2, 6, 7}} {
		if got := composeOrientations(tc.a, tc.b); got != tc.want {
			t.Errorf("%d then %d: %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
