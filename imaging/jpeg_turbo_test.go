//go:build cgo && !purego

package imaging

import (
	"context"
	"image"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

func TestTurboDecodesAtTheSmallestScaleThatCovers(t *testing.T) {
	t.Parallel()
	src := testphotos.Read(t, "camera-4032x3024.jpg")
	stored := image.Pt(4032, 3024)
	var c codec
	defer c.close()
	for _, tc := range []struct{ atLeast, want image.Point }{
		{image.Pt(320, 240), image.Pt(504, 378)},   // 1/8
		{image.Pt(505, 240), image.Pt(1008, 756)},  // 1/4
		{image.Pt(320, 757), image.Pt(2016, 1512)}, // 1/2
		{image.Pt(2017, 10), stored},               // whole
		{stored, stored},
	} {
		img, err := c.decodeJPEG(context.Background(), src, stored, tc.atLeast)
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != tc.want {
			t.Errorf("decoding for at least %v gave %v, want %v", tc.atLeast, got, tc.want)
		}
	}
}

// TestTurboAgreesWithImageJPEG decodes photos whole with both decoders. They differ only in how
// chroma is upsampled (libjpeg-turbo interpolates, image/jpeg repeats): well under a level.
func TestTurboAgreesWithImageJPEG(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"camera-1600x1200.jpg", "camera-2048x1536-orient6.jpg", "small-canon40d.jpg"} {
		src := testphotos.Read(t, name)
		want, err := decodeJPEGStd(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		size := want.Bounds().Size()
		got, err := turboDecode(src, size, size)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e := meanAbsError(t, toRGBA(want), got); maxOf(e) > 1 {
			t.Errorf("%s: libjpeg-turbo and image/jpeg differ by %.2f per channel, want ≤ 1", name, e)
		}
	}
}

// TestTurboDecodesCMYK: libjpeg-turbo decodes Adobe CMYK and YCCK JPEGs itself, at a DCT
// scale, to the colours image/jpeg gives them: within a level for CMYK; for YCCK within 4,
// as the two turn YCC into RGB with different rounding.
func TestTurboDecodesCMYK(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"cmyk.jpg", "ycck.jpg", "ycck-imagemagick.jpg"} {
		src := readTestdata(t, name)
		want, err := decodeJPEGStd(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		size := want.Bounds().Size()
		got, err := turboDecode(src, size, size)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e := meanAbsError(t, toRGBA(want), got); maxOf(e) > 4 || name == "cmyk.jpg" && maxOf(e) > 1 {
			t.Errorf("%s: libjpeg-turbo and image/jpeg differ by %.2f per channel", name, e)
		}
		if small, err := turboDecode(src, size, image.Pt(1, 1)); err != nil || small.Bounds().Dx() != (size.X+7)/8 {
			t.Errorf("%s: decoding at 1/8 gave %v, %v", name, small.Bounds(), err)
		}
	}
}

// TestTurboFailuresAreFinal: what libjpeg-turbo fails on is refused with its own message,
// never handed to image/jpeg.
func TestTurboFailuresAreFinal(t *testing.T) {
	t.Parallel()
	damaged := testphotos.Read(t, "corrupted-truncated.jpg")
	cfg, err := readHeader(formatJPEG, damaged)
	if err != nil {
		t.Fatal(err)
	}
	size := image.Pt(cfg.Width, cfg.Height)
	var c codec
	defer c.close()
	if _, err := c.decodeJPEG(context.Background(), damaged, size, size); err == nil || !strings.HasPrefix(err.Error(), "libjpeg-turbo: ") {
		t.Errorf("damaged JPEG: got %v, want libjpeg-turbo's error", err)
	}
	// A header that disagrees with the one the pixel limit was checked against.
	if _, err := turboDecode(damaged, size.Add(image.Pt(1, 0)), size); err == nil {
		t.Error("libjpeg-turbo decoded a JPEG whose size disagrees with image/jpeg's")
	}
}

// qualityMargin is how much further than Pillow's from the whole-photo Lanczos downscale a
// thumbnail may be (TestMakeCloseToLanczos): the bar of issue 10.
const qualityMargin = 0.25

func TestJPEGCodecWithCgo(t *testing.T) {
	if JPEGCodec != "libjpeg-turbo" {
		t.Errorf("JPEGCodec = %q", JPEGCodec)
	}
}

// turboDecode decodes src with a codec of its own, as Make does, and returns libjpeg-turbo's
// picture.
func turboDecode(src []byte, stored, target image.Point) (*image.RGBA, error) {
	var c codec
	defer c.close()
	img, err := c.decodeJPEG(context.Background(), src, stored, target)
	if err != nil {
		return nil, err
	}
	return img.(*image.RGBA), nil
}
