package imaging

import (
	"bytes"
	"image/png"
	"testing"

	"golang.org/x/image/webp"
)

// TestVP8ColoursMatchLibwebp compares our conversion of lossy WebP with libwebp's own (dwebp
// -nofancy, which upsamples chroma the same simple way): they must agree to rounding, where
// x/image/webp's YCbCr taken as JPEG's full range is ~20 levels off at black and white.
func TestVP8ColoursMatchLibwebp(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"lossy", "lossy-alpha"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			img, err := webp.Decode(bytes.NewReader(readTestdata(t, name+".webp")))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := vp8ToRGBA(img)
			if !ok {
				t.Fatalf("vp8ToRGBA does not take %T", img)
			}
			ref, err := png.Decode(bytes.NewReader(readTestdata(t, name+".dwebp-nofancy.png")))
			if err != nil {
				t.Fatal(err)
			}
			want := toRGBA(ref)
			e := meanAbsError(t, got, want)
			t.Logf("mean error against dwebp: ours %.2f, x/image/webp as full range %.2f", e, meanAbsError(t, toRGBA(img), want))
			if maxOf(e) > 0.5 {
				t.Errorf("mean error %.2f per channel against dwebp, want ≤ 0.5", e)
			}
			for i := 3; i < len(got.Pix); i += 4 {
				if got.Pix[i] != want.Pix[i] {
					t.Fatalf("alpha differs at byte %d: %d, dwebp %d", i, got.Pix[i], want.Pix[i])
				}
			}
			if raw := toRGBA(img); maxOf(meanAbsError(t, raw, want)) < 2 {
				t.Errorf("x/image/webp's own colours already match dwebp: the correction may be unneeded")
			}
		})
	}
}
