//go:build cgo && !purego && !noheif

package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/imaging/heiftest"
	"github.com/photoproc/photoproc/internal/testphotos"
	xdraw "golang.org/x/image/draw"
)

// TestMakeHEIF makes thumbnails of HEIC and AVIF files of every kind libheif is given: plain,
// 10-bit, with alpha, grids, a thumbnail and a depth map beside the primary image, and each
// rotation and mirror, and checks size and the colour of each quarter.
func TestMakeHEIF(t *testing.T) {
	t.Parallel()
	small, square := image.Pt(64, 48), image.Pt(128, 128)
	var cases []formatCase
	for _, ext := range []string{"heic", "avif"} {
		cases = append(cases,
			formatCase{name: ext + "/8-bit", src: readTestdata(t, "quad."+ext), format: ext, size: small, colours: upright},
			formatCase{name: ext + "/10-bit", src: readTestdata(t, "quad10."+ext), format: ext, size: small, colours: upright},
			formatCase{name: ext + "/alpha", src: readTestdata(t, "alpha."+ext), format: ext, size: small, colours: flattened},
			formatCase{name: ext + "/grid-2x2", src: heifGrid(t, ext, upright).Bytes(), format: ext, size: square, colours: upright},
			formatCase{name: ext + "/primary-not-thumbnail-or-depth", src: withDecoys(t, heifGrid(t, ext, upright)),
				format: ext, size: square, colours: upright},
			// A centred crop of half the width and height keeps a quarter of each quarter.
			formatCase{name: ext + "/clap-crop", src: heifGrid(t, ext, upright, heiftest.Clap(64, 64)).Bytes(),
				format: ext, size: image.Pt(64, 64), colours: upright},
		)
		// The grid stored as orientation o describes, with the irot and imir that show it
		// upright: layouts from the EXIF specification (storedLayouts), not from the code.
		for o := 2; o <= 8; o++ {
			cases = append(cases, formatCase{name: fmt.Sprintf("%s/grid-orientation-%d", ext, o),
				src:    heifGrid(t, ext, storedLayouts[o], heiftest.Orientation(o)...).Bytes(),
				format: ext, size: square, colours: upright, sourceWH: square})
		}
	}
	m := newMaker(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			th, img := makeThumb(t, m, tc.src)
			if th.SourceFormat != tc.format || th.Orientation != 1 {
				t.Errorf("format %q, orientation %d; want %q, 1 (libheif turns HEIF, not EXIF)", th.SourceFormat, th.Orientation, tc.format)
			}
			if got := image.Pt(th.Width, th.Height); got != tc.size {
				t.Errorf("size = %v, want %v", got, tc.size)
			}
			checkQuadrants(t, img, tc.colours, colourTolerance)
		})
	}
}

// TestMakeHEIFOrientationByContent makes thumbnails of a photo stored in each EXIF orientation
// (testdata/photos/orientation), encoded by heif-enc, which keeps the EXIF orientation but
// writes no irot or imir. As iPhones do, the irot and imir that show it upright are then added:
// the thumbnail must match the upright JPEG's, so the turn is applied once, and from HEIF's
// properties only; without them, the stored picture must come out as stored, EXIF unread.
func TestMakeHEIFOrientationByContent(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	_, want := makeThumb(t, m, testphotos.Read(t, "orientation/Landscape_1.jpg"))
	for _, name := range []string{"2.heic", "3.heic", "4.heic", "5.heic", "6.heic", "7.heic", "8.heic", "3.avif", "5.avif", "6.avif"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var o int
			fmt.Sscanf(name, "%d.", &o)
			stored := testphotos.Read(t, "heif/Landscape_"+name)
			th, got := makeThumb(t, m, heifOriented(t, stored, o))
			if size := image.Pt(th.Width, th.Height); size != image.Pt(320, 213) || th.Orientation != 1 {
				t.Fatalf("%v, orientation %d; want 320x213, 1", size, th.Orientation)
			}
			e := meanAbsError(t, got, want)
			t.Logf("with irot/imir: %.2f from the upright JPEG's thumbnail", maxOf(e))
			if maxOf(e) > heifOrientationTolerance {
				t.Errorf("differs from the upright JPEG's thumbnail by %.2f per channel, want ≤ %v", maxOf(e), heifOrientationTolerance)
			}

			th, got = makeThumb(t, m, stored)
			if swapsAxes(o) {
				if size := image.Pt(th.Width, th.Height); size != image.Pt(213, 320) {
					t.Fatalf("without irot: %v, want the stored 213x320 (the EXIF orientation %d must not be applied)", size, o)
				}
				return
			}
			if e := maxOf(meanAbsError(t, got, want)); e < 30 {
				t.Errorf("without irot/imir: %.2f from upright; the EXIF orientation %d must not be applied", e, o)
			}
		})
	}
}

// heifOrientationTolerance: the HEIC and AVIF files were encoded at quality 40 from the JPEGs,
// which blurs them a little everywhere: their thumbnails differ from the JPEG's by 4.0–4.7 per
// channel (with no bias of colour: under 0.4 levels on average); a wrongly turned or mirrored
// one differs by 39 and more.
const heifOrientationTolerance = 8.0

// TestMakeHEIFLimits checks the pixel limit is taken from the ispe of the primary image before
// libheif decodes it: also when a crop (clap) shows less, and for a tiny file that claims a
// huge size.
func TestMakeHEIFLimits(t *testing.T) {
	t.Parallel()
	crop := heifGrid(t, "heic", upright, heiftest.Clap(64, 64)).Bytes()
	m := newMaker(t, func(c *Config) { c.MaxPixels = 128*128 - 1 })
	if _, err := m.Make(crop); !errors.Is(err, ErrTooManyPixels) || !strings.Contains(err.Error(), "128x128") {
		t.Errorf("64x64 crop of 128x128: %v, want ErrTooManyPixels for 128x128", err)
	}
	huge := readHEIF(t, readTestdata(t, "quad.avif"))
	for i, p := range huge.Items[0].Props {
		if string(p[4:8]) == "ispe" {
			huge.Items[0].Props[i] = heiftest.Ispe(40000, 40000)
		}
	}
	_, err := newMaker(t, nil).Make(huge.Bytes())
	if !errors.Is(err, ErrTooManyPixels) || !strings.Contains(err.Error(), "40000x40000") {
		t.Errorf("ispe 40000x40000: %v, want ErrTooManyPixels", err)
	}
}

// TestMakeHEIFErrors: damaged files are ErrCorrupt, whatever libheif finds wrong in them.
func TestMakeHEIFErrors(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	heic := testphotos.Read(t, "heif/Landscape_6.heic")
	// The parameter sets (VPS, SPS, PPS) in hvcC scrambled: no picture can be decoded.
	scrambled := readHEIF(t, heic)
	for _, p := range scrambled.Items[0].Props {
		if string(p[4:8]) == "hvcC" {
			for i := 31; i < len(p); i++ {
				p[i] ^= 0x5a
			}
		}
	}
	for _, tc := range []struct {
		name string
		src  []byte
		want error
		msg  string
	}{
		{"HEIC cut at 50%", heic[:len(heic)/2], ErrCorrupt, "truncated HEIC"},
		{"HEIC cut 10 bytes short", heic[:len(heic)-10], ErrCorrupt, "truncated HEIC"},
		{"AVIF cut at 90%", readTestdata(t, "quad.avif")[:290], ErrCorrupt, "truncated AVIF"},
		{"HEVC data scrambled", scrambled.Bytes(), ErrCorrupt, "damaged HEIC data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.Make(tc.src)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Make = %v, want %v saying %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestHEIFSupport(t *testing.T) {
	t.Parallel()
	if got := HEIFSupport(); !strings.HasPrefix(got, "libheif 1.") || !strings.Contains(got, "HEIC, AVIF") {
		t.Errorf("HEIFSupport() = %q, want libheif's version and both formats", got)
	}
}

// TestHEIFShrink checks the block average that copies libheif's picture out, then resize,
// against the reference of TestMakeMatchesReference (x/image/draw's Catmull-Rom on the whole
// picture), within the same tolerance, on a photo: straight and premultiplied alpha, sizes
// that k does not divide. The path it replaces, resize on a whole copy, is logged beside it
// (measured: 0.4-1.6 and 0.7-1.2 from the reference).
func TestHEIFShrink(t *testing.T) {
	t.Parallel()
	img, err := jpeg.Decode(bytes.NewReader(testphotos.Read(t, "orientation/Landscape_1.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	photo := rgbaOf(img) // 600x400
	for _, tc := range []struct {
		name     string
		channels int
		alpha    uint8
		box      image.Point // the thumbnail
	}{
		{"RGB, 5x5 blocks", 3, 0xff, image.Pt(60, 40)},
		{"RGB, 7x7 blocks and some of 8", 3, 0xff, image.Pt(42, 28)},
		{"RGBA, half transparent", 4, 0x80, image.Pt(75, 50)},
	} {
		size := photo.Rect.Size()
		p := heifPixels{stride: tc.channels * size.X, size: size, channels: tc.channels}
		whole := image.NewRGBA(photo.Rect)
		for i := 0; i < len(photo.Pix); i += 4 {
			px := photo.Pix[i : i+3]
			p.pix = append(p.pix, px...)
			if tc.channels == 4 {
				p.pix = append(p.pix, tc.alpha)
			}
			copy(whole.Pix[i:], []byte{premultiply(px[0], tc.alpha), premultiply(px[1], tc.alpha), premultiply(px[2], tc.alpha), tc.alpha})
		}
		k := min(size.X/(2*tc.box.X), size.Y/(2*tc.box.Y))
		got := (&worker{}).resize(heifShrink(p, k), tc.box.X, tc.box.Y, false)
		ref := image.NewRGBA(image.Rect(0, 0, tc.box.X, tc.box.Y))
		xdraw.CatmullRom.Scale(ref, ref.Bounds(), whole, whole.Bounds(), draw.Src, nil)
		e, before := maxOf(meanAbsError(t, got, ref)), maxOf(meanAbsError(t, (&worker{}).resize(whole, tc.box.X, tc.box.Y, false), ref))
		t.Logf("%s: k=%d, %.2f from the reference (resizing a whole copy: %.2f)", tc.name, k, e, before)
		if e > resizeTolerance {
			t.Errorf("%s: %.2f per channel from the reference, want ≤ %v", tc.name, e, resizeTolerance)
		}
	}
}

// TestMakeHEIFShrinksWhileCopying makes a 20-pixel thumbnail of a 128x128 grid, which the copy
// out of libheif shrinks by 3 (blocks of 3 and 4 pixels) before resizing.
func TestMakeHEIFShrinksWhileCopying(t *testing.T) {
	t.Parallel()
	m := newMaker(t, func(c *Config) { c.Size = 20 })
	for _, ext := range []string{"heic", "avif"} {
		th, img := makeThumb(t, m, heifGrid(t, ext, upright).Bytes())
		if th.Width != 20 || th.Height != 20 {
			t.Fatalf("%s: %dx%d, want 20x20", ext, th.Width, th.Height)
		}
		checkQuadrants(t, img, upright, colourTolerance)
	}
}

// TestHEIFShrinkPlanes: the box average of an opaque picture in planes is the interleaved one's
// exactly, with the same blocks, on noise at sizes k does and does not divide, and on strides
// wider than the picture.
func TestHEIFShrinkPlanes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ w, h, k, pad int }{
		{60, 40, 2, 0}, {61, 41, 3, 5}, {4032, 3, 7, 64}, {7, 9, 1, 1}, {100, 100, 9, 0},
	} {
		size := image.Pt(tc.w, tc.h)
		interleaved := heifPixels{stride: 3*tc.w + tc.pad, size: size, channels: 3}
		interleaved.pix = make([]byte, interleaved.stride*tc.h)
		planar := heifPlanes{size: size}
		for c := range 3 {
			planar.strides[c] = tc.w + tc.pad*(c+1)
			planar.planes[c] = make([]byte, planar.strides[c]*tc.h)
		}
		for y := range tc.h {
			for x := range tc.w {
				for c := range 3 {
					v := uint8(rng.IntN(256))
					interleaved.pix[y*interleaved.stride+3*x+c] = v
					planar.planes[c][y*planar.strides[c]+x] = v
				}
			}
		}
		want, got := heifShrink(interleaved, tc.k), heifShrinkPlanes(planar, tc.k)
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%dx%d by %d: the planes' average differs from the interleaved one's (%v, %v)", tc.w, tc.h, tc.k, got.Rect, want.Rect)
		}
	}
}

// TestHEIFPlanesMatchInterleaved: the planar path gives exactly the pixels of the interleaved
// one it replaced for 8-bit images without alpha (libheif makes its interleaved RGB from the
// same planes), on HEICs of 4:2:0 colour, turned and mirrored by irot and imir, a grid, and
// grey coded 4:0:0.
func TestHEIFPlanesMatchInterleaved(t *testing.T) {
	t.Parallel()
	photo := testphotos.Read(t, "orientation/Landscape_1.jpg")
	greyHEIC := heifEnc(t, readTestdata(t, "gray.jpg"), "heic")
	if info, err := parseHEIF(formatHEIC, greyHEIC); err != nil {
		t.Fatal(err)
	} else if plan, err := planHEVC(greyHEIC, info); err != nil || plan.tiles[0].config.chroma != 0 {
		t.Fatalf("heif-enc did not code the grey picture as monochrome (4:0:0): %v", err)
	}
	for name, src := range map[string][]byte{
		"colour": heifEnc(t, photo, "heic"),
		"turned": heifOriented(t, heifEnc(t, photo, "heic"), 5),
		"grid":   heifGrid(t, "heic", upright).Bytes(),
		"grey":   greyHEIC,
		"AVIF":   heifEnc(t, photo, "avif"),
	} {
		f, _ := heifFormat(src)
		info, err := parseHEIF(f, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		size, err := heifShownSize(f, src, info)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := openHEIF(f, src, info)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		atLeast := image.Pt(size.X/7, size.Y/7)
		planar, err := decodePlanes(f, d.handle, size, atLeast, false)
		if err != nil {
			t.Fatalf("%s: planes: %v", name, err)
		}
		interleaved, err := decodeInterleaved(f, d.handle, size, atLeast, false, false)
		if err != nil {
			t.Fatalf("%s: interleaved: %v", name, err)
		}
		d.close()
		if planar.Rect != interleaved.Rect || !bytes.Equal(planar.Pix, interleaved.Pix) {
			t.Errorf("%s: the planes give other pixels than interleaved RGB (%v, %v)", name, planar.Rect, interleaved.Rect)
		}
	}
}
