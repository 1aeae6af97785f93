//go:build cgo && !purego

package imaging

import (
	"image"
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
		img, err := c.decodeJPEG(src, stored, tc.atLeast)
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
	var c codec
	defer c.close()
	for _, name := range []string{"camera-1600x1200.jpg", "camera-2048x1536-orient6.jpg", "small-canon40d.jpg"} {
		src := testphotos.Read(t, name)
		want, err := decodeJPEGStd(src)
		if err != nil {
			t.Fatal(err)
		}
		size := want.Bounds().Size()
		got, err := c.turboDecode(src, size, size)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e := meanAbsError(t, toRGBA(want), got); maxOf(e) > 1 {
			t.Errorf("%s: libjpeg-turbo and image/jpeg differ by %.2f per channel, want ≤ 1", name, e)
		}
	}
}

// TestTurboLeavesTheRestToImageJPEG: what libjpeg-turbo is not given or fails on still decodes
// (CMYK, via image/jpeg), or fails with image/jpeg's verdict, so both builds agree.
func TestTurboLeavesTheRestToImageJPEG(t *testing.T) {
	t.Parallel()
	cmyk := readTestdata(t, "cmyk.jpg")
	var c codec
	defer c.close()
	cfg, err := readHeader(formatJPEG, cmyk)
	if err != nil {
		t.Fatal(err)
	}
	size := image.Pt(cfg.Width, cfg.Height)
	if _, err := c.turboDecode(cmyk, size, size); err == nil {
		t.Fatal("libjpeg-turbo was given a CMYK JPEG")
	}
	if _, err := c.decodeJPEG(cmyk, size, image.Pt(1, 1)); err != nil {
		t.Fatalf("CMYK JPEG: %v", err)
	}

	truncated := testphotos.Read(t, "corrupted-truncated.jpg")
	cfg, err = readHeader(formatJPEG, truncated)
	if err != nil {
		t.Fatal(err)
	}
	size = image.Pt(cfg.Width, cfg.Height)
	if _, err := c.turboDecode(truncated, size, size); err == nil {
		t.Error("libjpeg-turbo accepted a truncated JPEG")
	}
	_, want := decodeJPEGStd(truncated)
	if _, err := c.decodeJPEG(truncated, size, size); err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("truncated JPEG: got %v, want image/jpeg's %v", err, want)
	}

	// A header that disagrees with the one the pixel limit was checked against.
	if _, err := c.turboDecode(cmyk, size.Add(image.Pt(1, 0)), size); err == nil {
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
