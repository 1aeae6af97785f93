package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"testing"

	"github.com/anthonynsimon/bild/transform"
	"github.com/photoproc/photoproc/internal/testphotos"
)

// BenchmarkSizesFromOneDecode makes 1280, 640 and 320 from one decode of a photo (at the DCT
// scale the 1280 box needs), each smaller size resized either from the decode or from the size
// before it (what render does), and reports each size's mean error per channel (levels of
// 255) against a Lanczos-3 downscale of the whole photo (bild). The figures, with instruction
// counts, are in docs/thumbnail-formats.md ("Sizes from one decode").
func BenchmarkSizesFromOneDecode(b *testing.B) {
	boxes := []int{1280, 640, 320}
	for _, name := range []string{"camera-4032x3024.jpg", "phone-3264x2448.jpg", "camera-1600x1200.jpg"} {
		src := testphotos.Read(b, name)
		img, err := jpeg.Decode(bytes.NewReader(src))
		if err != nil {
			b.Fatal(err)
		}
		whole := toRGBA(img)
		stored := whole.Rect.Size()
		var sizes []image.Point
		var refs []*image.RGBA
		for _, box := range boxes {
			w, h := fit(stored.X, stored.Y, box)
			sizes = append(sizes, image.Pt(w, h))
			refs = append(refs, transform.Resize(whole, w, h, transform.Lanczos))
		}
		for _, cascade := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/cascade=%v", name, cascade), func(b *testing.B) {
				wk := &worker{}
				defer wk.close()
				errs := make([]float64, len(sizes))
				run := func(measure bool) {
					pixels, _, err := decodePixels(context.Background(), &wk.codec, formatJPEG, src, stored, sizes[0])
					if err != nil {
						b.Fatal(err)
					}
					from := pixels
					for i, s := range sizes {
						small := wk.resize(from, s.X, s.Y, true)
						if measure {
							e := meanAbsError(b, small, refs[i])
							errs[i] = (e[0] + e[1] + e[2]) / 3
						}
						if cascade {
							from, wk.kept = keep(wk.kept, small)
						}
					}
				}
				run(true)
				for b.Loop() {
					run(false)
				}
				for i, box := range boxes {
					b.ReportMetric(errs[i], fmt.Sprintf("err-%d", box))
				}
			})
		}
	}
}
