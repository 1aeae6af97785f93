package imaging

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// BenchmarkColourWhere measures where in the pipeline to convert a photo's colours: on the
// decoded picture (DCT-scaled for JPEG, whole for PNG), before the resize, or on the thumbnail
// after it (what Make does). It reports the time of the conversion alone and the thumbnail's
// mean absolute error per channel against the thumbnail of the same photo in sRGB
// (docs/colour.md has the results).
func BenchmarkColourWhere(b *testing.B) {
	m := newMaker(b, nil)
	defer m.Close()
	img, err := jpeg.Decode(bytes.NewReader(testphotos.Read(b, "camera-4032x3024.jpg")))
	if err != nil {
		b.Fatal(err)
	}
	full := toRGBA(img)
	sources := []struct {
		name   string
		encode func(img *image.RGBA, icc []byte) []byte
	}{
		{"jpeg-12MP", func(img *image.RGBA, icc []byte) []byte {
			jpg := encodeJPEGTest(b, img)
			if icc == nil {
				return jpg
			}
			return withJPEGProfile(jpg, icc, 60000)
		}},
		{"png-2MP", func(img *image.RGBA, icc []byte) []byte {
			small, _ := reduceBox(nil, img, 2, nil)
			p := encodePNG(b, small)
			if icc == nil {
				return p
			}
			return withPNGChunk(p, "iCCP", iccpChunk(b, icc))
		}},
	}
	for _, s := range sources {
		want, _ := thumbPixels(b, m, s.encode(full, nil))
		for _, p := range rgbTestProfiles(b)[:3] {
			src := s.encode(toSpace(b, full, p.icc), p.icc)
			for _, where := range []string{"decoded", "thumbnail"} {
				b.Run(s.name+"/"+p.name+"/"+where, func(b *testing.B) {
					var got *image.RGBA
					var spent time.Duration
					for b.Loop() {
						got, spent = colourAt(b, m, src, where == "decoded")
					}
					b.ReportMetric(float64(spent.Microseconds())/1000, "convert-ms")
					b.ReportMetric(maxOf(meanAbsError(b, got, want)), "err")
				})
			}
		}
	}
}

// colourAt makes the thumbnail of src, an opaque picture with a profile, converting its colours
// on the decoded picture or on the thumbnail, and returns it with the conversion's time.
func colourAt(tb testing.TB, m *Maker, src []byte, decoded bool) (*image.RGBA, time.Duration) {
	w := m.idle.get()
	defer m.idle.put(w)
	f, _ := sniff(src)
	j, _ := inspect(f, src)
	hdr, _ := readHeader(f, src)
	u := m.colours.find(f, src, j)
	defer u.release()
	u.prepare()
	stored := image.Pt(hdr.Width, hdr.Height)
	need := image.Pt(fit(hdr.Width, hdr.Height, m.cfg.Size))
	pixels, _, err := decodePixels(context.Background(), &w.codec, f, src, stored, need)
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if decoded {
		u.apply(pixels)
	}
	spent := time.Since(start)
	small := w.resize(pixels, need.X, need.Y, true)
	start = time.Now()
	if !decoded {
		u.apply(small)
	}
	spent += time.Since(start)
	out := image.NewRGBA(small.Rect)
	copy(out.Pix, small.Pix)
	return out, spent
}

// BenchmarkColourConvert converts a 320x240 thumbnail with each profile: with the build's
// converter (Little CMS with cgo) and with the pure-Go one.
func BenchmarkColourConvert(b *testing.B) {
	thumb := (&worker{}).resize(srgbPhoto(b), 320, 240, true)
	for _, p := range rgbTestProfiles(b) {
		prof, err := readICC(p.icc)
		if err != nil {
			b.Fatal(err)
		}
		build, _, err := newConverter(prof, p.icc, rgbPixels)
		if err != nil {
			b.Fatal(err)
		}
		for name, conv := range map[string]pixelConverter{"build": build, "go": newMatrixTransform(prof.rgb)} {
			b.Run(p.name+"/"+name, func(b *testing.B) {
				pix := append([]byte{}, thumb.Pix...)
				for b.Loop() {
					conv.convert(pix)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(pix)/4), "ns/pixel")
			})
		}
		build.close()
	}
}
