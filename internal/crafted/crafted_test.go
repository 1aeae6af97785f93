package crafted

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"golang.org/x/image/tiff"
)

// quadrants is a w×h picture: red, green, blue and white quarters.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	q := [4]color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}
	for y := range h {
		for x := range w {
			i := 0
			if x >= w/2 {
				i++
			}
			if y >= h/2 {
				i += 2
			}
			img.SetRGBA(x, y, q[i])
		}
	}
	return img
}

// TestProgressiveJPEGDecodes: Go's decoder reads every variant back as the picture it was
// made from, and the repeats are really there.
func TestProgressiveJPEGDecodes(t *testing.T) {
	t.Parallel()
	src := quadrants(64, 48)
	for _, o := range []JPEGOptions{
		{}, {Subsampling: "4:4:4"}, {DCOnly: true}, {Scale: 3}, {DCOnly: true, Scale: 16},
		{RepeatScan: 50},
	} {
		data := ProgressiveJPEG(src, o)
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		scale := max(o.Scale, 1)
		if got, want := img.Bounds().Size(), image.Pt(64*scale, 48*scale); got != want {
			t.Fatalf("%+v: %v, want %v", o, got, want)
		}
		for i, p := range []image.Point{{16, 12}, {48, 12}, {16, 36}, {48, 36}} {
			r, g, b, _ := img.At(p.X*scale, p.Y*scale).RGBA()
			want := src.RGBAAt(p.X, p.Y)
			if d := max(diff(r>>8, want.R), diff(g>>8, want.G), diff(b>>8, want.B)); d > 8 {
				t.Errorf("%+v: quarter %d is %d,%d,%d, want %v", o, i, r>>8, g>>8, b>>8, want)
			}
		}
		if scans := bytes.Count(data, []byte{0xff, 0xda}); scans != 4+o.RepeatScan {
			t.Errorf("%+v: %d scans, want %d", o, scans, 4+o.RepeatScan)
		}
	}
}

func diff(a uint32, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }

func TestDeflateTIFF16(t *testing.T) {
	t.Parallel()
	data := DeflateTIFF16(200, 100)
	img, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.RGBA64); !ok || img.Bounds().Dx() != 200 {
		t.Fatalf("decoded %T %v", img, img.Bounds())
	}
}
