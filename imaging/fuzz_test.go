package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/photoproc/photoproc/internal/crafted"
)

// FuzzMake feeds any bytes to Make: it must not panic, every error must be one of the three
// kinds, and a success must be a decodable JPEG inside the box, of the size it reports.
func FuzzMake(f *testing.F) {
	tiny := quadrants(24, 16, upright)
	f.Add([]byte{})
	f.Add([]byte("<html>"))
	f.Add(encodeJPEGTest(f, tiny))
	f.Add(withJPEGProfile(encodeJPEGTest(f, tiny), displayP3Profile(), 100))
	f.Add(withJPEGExif(encodeJPEGTest(f, tiny), exifBlock(binary.LittleEndian, 6)))
	f.Add(encodePNG(f, withTransparency(24, 16)))
	f.Add(withPNGExif(encodePNG(f, tiny), exifBlock(binary.BigEndian, 8)))
	f.Add(encodeGIF(f, paletted(tiny, true)))
	f.Add(encodeBMP(f, tiny))
	f.Add(encodeTIFF(f, tiny))
	f.Add(pngBomb(f, 30000, 30000))
	f.Add(progressive(f, crafted.JPEGOptions{}))
	f.Add(progressive(f, crafted.JPEGOptions{RepeatScan: 3, DCOnly: true}))
	f.Add(insertBefore(f, progressive(f, crafted.JPEGOptions{Subsampling: "4:4:4"}), 0xc2, []byte{0, 0xff, 0}))
	f.Add(crafted.DeflateTIFF16(16, 8))
	canon := readTestdata(f, "small-canon40d.jpg")
	f.Add(canon)
	f.Add(canon[:len(canon)/2])
	samples, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range samples {
		if b, err := os.ReadFile(name); err == nil && len(b) < 16<<10 {
			f.Add(b)
		}
	}
	// A low pixel limit keeps each input cheap, so the fuzzer spends its time on parsing.
	m := newMaker(f, func(c *Config) { c.Size, c.MaxPixels = 64, 1<<20 })
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := m.Make(data)
		if err != nil {
			if !errors.Is(err, ErrUnsupportedFormat) && !errors.Is(err, ErrTooManyPixels) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		th := set.Primary()
		img, err := jpeg.Decode(bytes.NewReader(th.Data))
		if err != nil {
			t.Fatalf("thumbnail is not a JPEG: %v", err)
		}
		size := img.Bounds().Size()
		if size != image.Pt(th.Width, th.Height) || size.X < 1 || size.Y < 1 || size.X > 64 || size.Y > 64 {
			t.Fatalf("thumbnail is %v, reported %dx%d, box 64", size, th.Width, th.Height)
		}
		if set.Orientation < 1 || set.Orientation > 8 {
			t.Fatalf("orientation %d", set.Orientation)
		}
	})
}
