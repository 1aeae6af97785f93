package imaging

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"testing"
	"time"

	"github.com/anthonynsimon/bild/transform"
	"github.com/photoproc/photoproc/internal/testphotos"
	xdraw "golang.org/x/image/draw"
)

// BenchmarkMake makes thumbnails of photos of several sizes and formats, with the daemon's
// default settings, and reports the time of each stage as well.
func BenchmarkMake(b *testing.B) {
	m := newMaker(b, nil)
	cases := []struct {
		name string
		src  func(b *testing.B) []byte
	}{
		{"jpeg-12MP-4032x3024", photo("camera-4032x3024.jpg")},
		{"jpeg-8MP-3264x2448", photo("phone-3264x2448.jpg")},
		{"jpeg-2MP-1600x1200", photo("camera-1600x1200.jpg")},
		{"jpeg-orient6-2048x1536", photo("camera-2048x1536-orient6.jpg")},
		{"png-2MP-1600x1200", func(b *testing.B) []byte {
			img, err := jpeg.Decode(bytes.NewReader(testphotos.Read(b, "camera-1600x1200.jpg")))
			if err != nil {
				b.Fatal(err)
			}
			return encodePNG(b, img)
		}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			src := bc.src(b)
			b.SetBytes(int64(len(src)))
			var decode, resize, encode time.Duration
			for b.Loop() {
				th, err := m.Make(src)
				if err != nil {
					b.Fatal(err)
				}
				decode += th.Decode
				resize += th.Resize
				encode += th.Encode
			}
			n := float64(b.N) * float64(time.Millisecond)
			b.ReportMetric(float64(decode)/n, "decode-ms/op")
			b.ReportMetric(float64(resize)/n, "resize-ms/op")
			b.ReportMetric(float64(encode)/n, "encode-ms/op")
		})
	}
}

func photo(name string) func(b *testing.B) []byte {
	return func(b *testing.B) []byte { return testphotos.Read(b, name) }
}

// BenchmarkResizeFilter compares ways of resizing the whole 12 MP photo to 320x240, as the
// pure-Go build does (image/jpeg cannot shrink while decoding): ours, a box reduction then
// Lanczos-3, against bild's filters alone. Besides the time it reports the mean error per
// channel (levels of 255) against the reference, x/image/draw's Catmull-Rom: "photo-err" on the
// photo, "zone-err" on a zone plate (concentric rings up to the finest detail a pixel grid
// holds), where a filter that aliases shows moiré.
func BenchmarkResizeFilter(b *testing.B) {
	img, err := jpeg.Decode(bytes.NewReader(testphotos.Read(b, "camera-4032x3024.jpg")))
	if err != nil {
		b.Fatal(err)
	}
	photo := toRGBA(img)
	zone := zonePlate(4032, 3024)
	const w, h = 320, 240
	photoRef, zoneRef := scaleReference(photo, w, h), scaleReference(zone, w, h)
	filters := []struct {
		name   string
		resize func(src *image.RGBA) *image.RGBA
	}{
		{"box+lanczos3(chosen)", func(src *image.RGBA) *image.RGBA { return (&worker{}).resize(src, w, h, true) }},
		{"nearest", bildFilter(transform.NearestNeighbor)},
		{"box", bildFilter(transform.Box)},
		{"linear", bildFilter(transform.Linear)},
		{"mitchell", bildFilter(transform.MitchellNetravali)},
		{"catmullrom", bildFilter(transform.CatmullRom)},
		{"lanczos", bildFilter(transform.Lanczos)},
	}
	for _, f := range filters {
		b.Run(f.name, func(b *testing.B) {
			photoErr := maxOf(meanAbsError(b, f.resize(photo), photoRef))
			zoneErr := maxOf(meanAbsError(b, f.resize(zone), zoneRef))
			for b.Loop() {
				f.resize(photo)
			}
			b.ReportMetric(photoErr, "photo-err")
			b.ReportMetric(zoneErr, "zone-err")
		})
	}
}

func bildFilter(filter transform.ResampleFilter) func(*image.RGBA) *image.RGBA {
	return func(src *image.RGBA) *image.RGBA { return transform.Resize(src, 320, 240, filter) }
}

func scaleReference(src image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// zonePlate draws grey rings whose frequency grows from the centre to the Nyquist limit at
// the edges.
func zonePlate(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			dx, dy := float64(x-w/2), float64(y-h/2)
			v := uint8(127.5 + 127.5*math.Cos(math.Pi*(dx*dx+dy*dy)/float64(w)))
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v, v, 255
		}
	}
	return img
}

// BenchmarkResample compares resamplers on what follows a DCT-scaled JPEG decode: the 12 MP
// photo at 1/8 (504x378) and the 2 MP one at 1/4 (400x300), to 320x240, one goroutine each
// (bild's spread over all CPUs: its ns/op is wall time, and its CPU time is higher). The
// shrunk pictures are made by a box reduction of image/jpeg's decode, so that both builds
// measure the same input. "lanczos-err" is the mean error per channel (levels of 255) against
// a Lanczos-3 downscale of the whole photo (bild), what make bench-compare measures; here
// without the JPEG encoding. The figures are in ARCHITECTURE.md ("Resizing").
func BenchmarkResample(b *testing.B) {
	for _, p := range []struct {
		name string
		k    int
	}{{"camera-4032x3024.jpg", 8}, {"camera-1600x1200.jpg", 4}} {
		img, err := jpeg.Decode(bytes.NewReader(testphotos.Read(b, p.name)))
		if err != nil {
			b.Fatal(err)
		}
		whole := toRGBA(img)
		const w, h = 320, 240
		ref := transform.Resize(whole, w, h, transform.Lanczos)
		small, _ := reduceBox(nil, whole, p.k, nil)
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		xScaler := func(k *xdraw.Kernel) func() *image.RGBA {
			s := k.NewScaler(w, h, small.Rect.Dx(), small.Rect.Dy())
			return func() *image.RGBA {
				s.Scale(dst, dst.Rect, small, small.Rect, draw.Src, nil)
				return dst
			}
		}
		wk := &worker{}
		for _, r := range []struct {
			name   string
			resize func() *image.RGBA
		}{
			{"ours-lanczos3(chosen)", func() *image.RGBA { return wk.resizeLanczos(small, w, h, true) }},
			{"bild-catmullrom", func() *image.RGBA { return transform.Resize(small, w, h, transform.CatmullRom) }},
			{"bild-lanczos", func() *image.RGBA { return transform.Resize(small, w, h, transform.Lanczos) }},
			{"xdraw-catmullrom", xScaler(xdraw.CatmullRom)},
			{"xdraw-bilinear", xScaler(xdraw.BiLinear)},
			{"xdraw-approxbilinear", func() *image.RGBA {
				xdraw.ApproxBiLinear.Scale(dst, dst.Rect, small, small.Rect, draw.Src, nil)
				return dst
			}},
		} {
			b.Run(p.name+"/"+r.name, func(b *testing.B) {
				e := meanAbsError(b, r.resize(), ref)
				for b.Loop() {
					r.resize()
				}
				b.ReportMetric((e[0]+e[1]+e[2])/3, "lanczos-err")
			})
		}
	}
}
