package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Colours are checked within this many levels of 255: the sources are lossless or JPEG at
// quality ≥ 90 with flat quarters, and the middle of a quarter is compared, so encoding noise
// there is a few levels; a wrong colour conversion (inverted CMYK, black instead of white,
// swapped channels) is off by ~255.
const colourTolerance = 16

// formatCase is a source picture and what its thumbnail must look like.
type formatCase struct {
	name     string
	src      []byte
	format   string
	size     image.Point
	colours  [4]color.RGBA
	orient   int
	sourceWH image.Point
}

func TestMakeFormats(t *testing.T) {
	t.Parallel()
	var cases []formatCase
	cases = append(cases, generatedCases(t)...)
	cases = append(cases, sampleCases(t)...)
	m := newMaker(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			th, img := makeThumb(t, m, tc.src)
			if th.SourceFormat != tc.format {
				t.Errorf("SourceFormat = %q, want %q", th.SourceFormat, tc.format)
			}
			if got := image.Pt(th.Width, th.Height); got != tc.size {
				t.Errorf("size = %v, want %v", got, tc.size)
			}
			wantOrient := max(tc.orient, 1)
			if th.Orientation != wantOrient {
				t.Errorf("Orientation = %d, want %d", th.Orientation, wantOrient)
			}
			if tc.sourceWH != (image.Point{}) && image.Pt(th.SourceWidth, th.SourceHeight) != tc.sourceWH {
				t.Errorf("source size = %dx%d, want %v", th.SourceWidth, th.SourceHeight, tc.sourceWH)
			}
			checkQuadrants(t, img, tc.colours, colourTolerance)
		})
	}
}

// Transparent areas come out white; half-transparent green over white is light green.
var flattened = [4]color.RGBA{white, {127, 255, 127, 255}, blue, white}

// generatedCases builds one picture per format and pixel kind with Go's encoders.
func generatedCases(t *testing.T) []formatCase {
	big := quadrants(800, 600, upright) // resized to 320x240
	small := image.Pt(64, 48)           // kept as is
	gray := [4]color.RGBA{{40, 40, 40, 255}, {100, 100, 100, 255}, {170, 170, 170, 255}, {230, 230, 230, 255}}
	return []formatCase{
		{name: "png/rgba8", src: encodePNG(t, big), format: "png", size: image.Pt(320, 240), colours: upright},
		{name: "png/rgba16", src: encodePNG(t, convert(big, image.NewNRGBA64)), format: "png", size: image.Pt(320, 240), colours: upright},
		{name: "png/gray8", src: encodePNG(t, convert(quadrants(800, 600, gray), image.NewGray)), format: "png", size: image.Pt(320, 240), colours: gray},
		{name: "png/gray16", src: encodePNG(t, convert(quadrants(800, 600, gray), image.NewGray16)), format: "png", size: image.Pt(320, 240), colours: gray},
		{name: "png/paletted", src: encodePNG(t, paletted(big, false)), format: "png", size: image.Pt(320, 240), colours: upright},
		{name: "png/transparent", src: encodePNG(t, withTransparency(800, 600)), format: "png", size: image.Pt(320, 240), colours: flattened},
		{name: "png/transparent-small", src: encodePNG(t, withTransparency(64, 48)), format: "png", size: small, colours: flattened},
		{name: "png/exif-orientation-6", src: withPNGExif(encodePNG(t, storedAs(6, 600, 800)), exifBlock(binary.BigEndian, 6)),
			format: "png", size: image.Pt(320, 240), colours: upright, orient: 6, sourceWH: image.Pt(800, 600)},
		{name: "gif/paletted", src: encodeGIF(t, paletted(big, false)), format: "gif", size: image.Pt(320, 240), colours: upright},
		{name: "gif/transparent-index", src: encodeGIF(t, paletted(big, true)), format: "gif", size: image.Pt(320, 240),
			colours: [4]color.RGBA{white, green, blue, white}},
		{name: "gif/first-frame-of-two", src: twoFrameGIF(t), format: "gif", size: small,
			colours: [4]color.RGBA{white, white, white, red}},
		{name: "bmp/rgb", src: encodeBMP(t, big), format: "bmp", size: image.Pt(320, 240), colours: upright},
		{name: "bmp/paletted", src: encodeBMP(t, paletted(big, false)), format: "bmp", size: image.Pt(320, 240), colours: upright},
		{name: "tiff/rgba", src: encodeTIFF(t, big), format: "tiff", size: image.Pt(320, 240), colours: upright},
		{name: "tiff/transparent", src: encodeTIFF(t, withTransparency(800, 600)), format: "tiff", size: image.Pt(320, 240), colours: flattened},
		{name: "tiff/gray16", src: encodeTIFF(t, convert(quadrants(800, 600, gray), image.NewGray16)), format: "tiff", size: image.Pt(320, 240), colours: gray},
		{name: "jpeg/baseline", src: encodeJPEGTest(t, big), format: "jpeg", size: image.Pt(320, 240), colours: upright},
		{name: "jpeg/gray", src: encodeJPEGTest(t, convert(quadrants(800, 600, gray), image.NewGray)), format: "jpeg", size: image.Pt(320, 240), colours: gray},
		{name: "jpeg/tall", src: encodeJPEGTest(t, quadrants(300, 1000, upright)), format: "jpeg", size: image.Pt(96, 320), colours: upright},
	}
}

// sampleCases are files made with other encoders (libjpeg-turbo, libwebp, ImageMagick, our
// cmykjpeg); testdata/README.md says how.
func sampleCases(t *testing.T) []formatCase {
	small := image.Pt(64, 48)
	gray := [4]color.RGBA{{76, 76, 76, 255}, {150, 150, 150, 255}, {29, 29, 29, 255}, white} // luma of R, G, B, W
	return []formatCase{
		{name: "sample/png-paletted", src: readTestdata(t, "quad.png"), format: "png", size: small, colours: upright},
		{name: "sample/png-alpha", src: readTestdata(t, "alpha.png"), format: "png", size: small, colours: flattened},
		{name: "sample/jpeg-progressive", src: readTestdata(t, "progressive.jpg"), format: "jpeg", size: small, colours: upright},
		{name: "sample/jpeg-grayscale", src: readTestdata(t, "gray.jpg"), format: "jpeg", size: small, colours: gray},
		{name: "sample/jpeg-adobe-cmyk", src: readTestdata(t, "cmyk.jpg"), format: "jpeg", size: small, colours: upright},
		{name: "sample/jpeg-adobe-ycck", src: readTestdata(t, "ycck.jpg"), format: "jpeg", size: small, colours: upright},
		{name: "sample/jpeg-imagemagick-cmyk", src: readTestdata(t, "ycck-imagemagick.jpg"), format: "jpeg", size: small, colours: upright},
		{name: "sample/webp-lossy", src: readTestdata(t, "lossy.webp"), format: "webp", size: small, colours: upright},
		{name: "sample/webp-lossy-alpha", src: readTestdata(t, "lossy-alpha.webp"), format: "webp", size: small, colours: flattened},
		{name: "sample/webp-lossless-alpha", src: readTestdata(t, "lossless-alpha.webp"), format: "webp", size: small, colours: flattened},
		{name: "sample/webp-exif-orientation-6", src: readTestdata(t, "orient6.webp"), format: "webp", size: small, colours: upright,
			orient: 6, sourceWH: small},
		{name: "sample/tiff-orientation-6", src: readTestdata(t, "orient6.tif"), format: "tiff", size: small, colours: upright,
			orient: 6, sourceWH: small},
	}
}

// TestMakeJPEGOrientations stores the quadrant picture as each EXIF orientation describes
// (the layouts are written out by hand from the EXIF specification, not computed by the code
// under test), in both byte orders, and checks that every one comes out upright.
func TestMakeJPEGOrientations(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for o := 1; o <= 8; o++ {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(order.String()+"/"+string(rune('0'+o)), func(t *testing.T) {
				t.Parallel()
				w, h := 800, 600
				if o >= 5 {
					w, h = h, w
				}
				src := withJPEGExif(encodeJPEGTest(t, storedAs(o, w, h)), exifBlock(order, uint16(o)))
				th, img := makeThumb(t, m, src)
				if th.Orientation != o || th.Width != 320 || th.Height != 240 {
					t.Fatalf("orientation %d, size %dx%d; want %d, 320x240", th.Orientation, th.Width, th.Height, o)
				}
				if th.SourceWidth != 800 || th.SourceHeight != 600 {
					t.Errorf("source size %dx%d, want 800x600 as displayed", th.SourceWidth, th.SourceHeight)
				}
				checkQuadrants(t, img, upright, colourTolerance)
			})
		}
	}
}

// storedLayouts says where each quarter of the upright picture (R G / B W) is stored for each
// EXIF orientation: 2 mirrored, 3 turned 180°, 4 flipped, 5 transposed, 6 stored turned 90°
// counter-clockwise (shown by turning it clockwise), 7 transversed, 8 stored turned clockwise.
var storedLayouts = map[int][4]color.RGBA{
	1: {red, green, blue, white},
	2: {green, red, white, blue},
	3: {white, blue, green, red},
	4: {blue, white, red, green},
	5: {red, blue, green, white},
	6: {green, white, red, blue},
	7: {white, green, blue, red},
	8: {blue, red, white, green},
}

func storedAs(o, w, h int) *image.NRGBA { return quadrants(w, h, storedLayouts[o]) }

func convert[T draw.Image](src image.Image, newImage func(image.Rectangle) T) T {
	dst := newImage(src.Bounds())
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	return dst
}

// paletted converts src to a palette image; with transparent, its top-left quarter uses a
// transparent palette entry.
func paletted(src image.Image, transparent bool) *image.Paletted {
	pal := color.Palette{red, green, blue, white, color.RGBA{}}
	dst := image.NewPaletted(src.Bounds(), pal)
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	if transparent {
		b := src.Bounds()
		draw.Draw(dst, image.Rect(0, 0, b.Dx()/2, b.Dy()/2), image.Transparent, image.Point{}, draw.Src)
	}
	return dst
}

// withTransparency is the quadrant picture with a fully transparent top-left quarter (hiding
// black) and a half-transparent green top-right one.
func withTransparency(w, h int) *image.NRGBA {
	return quadrants(w, h, [4]color.RGBA{{0, 0, 0, 0}, {0, 255, 0, 128}, blue, white})
}

func encodeGIF(tb testing.TB, img *image.Paletted) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// twoFrameGIF's first frame covers only the bottom-right quarter of a 64x48 screen in red; its
// second frame is all blue and must be ignored.
func twoFrameGIF(tb testing.TB) []byte {
	tb.Helper()
	first := image.NewPaletted(image.Rect(32, 24, 64, 48), palette.Plan9)
	draw.Draw(first, first.Bounds(), image.NewUniform(red), image.Point{}, draw.Src)
	second := image.NewPaletted(image.Rect(0, 0, 64, 48), palette.Plan9)
	draw.Draw(second, second.Bounds(), image.NewUniform(blue), image.Point{}, draw.Src)
	anim := &gif.GIF{
		Image:  []*image.Paletted{first, second},
		Delay:  []int{10, 10},
		Config: image.Config{Width: 64, Height: 48, ColorModel: color.Palette(palette.Plan9)},
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func encodeBMP(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func encodeTIFF(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
