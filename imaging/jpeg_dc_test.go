//go:build cgo && !purego

package imaging

import (
	"bytes"
	"image"
	"os/exec"
	"testing"

	"github.com/photoproc/photoproc/internal/crafted"
	"github.com/photoproc/photoproc/internal/testphotos"
)

// progressiveOf returns jpg rewritten as a progressive JPEG by jpegtran: losslessly, the same
// coefficients in libjpeg's standard progression of ten scans, two of them DC (the first,
// then its refinement after the AC scans), as `jpegtran -progressive` and many web tools
// write them.
func progressiveOf(tb testing.TB, jpg []byte) []byte {
	tb.Helper()
	jpegtran, err := exec.LookPath("jpegtran")
	if err != nil {
		tb.Fatal("jpegtran not found: install the Debian package libjpeg-turbo-progs (listed in .ci/packages)")
	}
	cmd := exec.Command(jpegtran, "-progressive", "-copy", "all")
	cmd.Stdin = bytes.NewReader(jpg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("jpegtran: %v: %s", err, stderr.Bytes())
	}
	return out
}

// TestProgressiveDCScansDecodeAsTheWholeFile: at 1/8 the scans eighthScans keeps of a
// progressive JPEG decode to the pixels of the whole file where no component is subsampled in
// both axes (grey, 4:4:4, this CMYK; 4:2:2 photos), as each block becomes its DC coefficient.
// For 4:2:0 chroma, decoded at 1/8 by a 2×2 inverse DCT that reads three AC coefficients, the
// first pass of its AC scans leaves their last bit out: within a level of the whole file's,
// luma within a quarter.
func TestProgressiveDCScansDecodeAsTheWholeFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		src   []byte
		exact bool
	}{
		{"camera-1600x1200.jpg", testphotos.Read(t, "camera-1600x1200.jpg"), false},
		{"camera-2048x1536-orient6.jpg", testphotos.Read(t, "camera-2048x1536-orient6.jpg"), true}, // 4:2:2
		{"phone-3264x2448.jpg", testphotos.Read(t, "phone-3264x2448.jpg"), false},
		{"small-canon40d.jpg", testphotos.Read(t, "small-canon40d.jpg"), true}, // 4:2:2
		{"gray.jpg", readTestdata(t, "gray.jpg"), true},
		{"cmyk.jpg", readTestdata(t, "cmyk.jpg"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prog := progressiveOf(t, tc.src)
			j := inspectJPEG(prog)
			if !j.progressive() || j.scans < 2 {
				t.Fatalf("jpegtran wrote %d scans, progressive %v", j.scans, j.progressive())
			}
			stored, eighth := image.Pt(j.width, j.height), image.Pt((j.width+7)/8, (j.height+7)/8)
			var c codec
			defer c.close()
			dst := &image.RGBA{Pix: make([]uint8, 4*eighth.X*eighth.Y), Stride: 4 * eighth.X, Rect: image.Rectangle{Max: eighth}}
			cmyk := len(j.components) == 4
			if ok, why := c.decodeDC(prog, stored, dst, cmyk); !ok {
				t.Fatalf("DC scans not decoded: %s", why)
			}
			got := c.convertCMYK(dst, cmyk)
			whole, err := c.decodeTurbo(prog, stored, eighth, false)
			if err != nil {
				t.Fatal(err)
			}
			baseline, err := c.decodeTurbo(tc.src, stored, eighth, false)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(whole.Pix, baseline.Pix) {
				t.Fatal("jpegtran's progressive file decodes to other pixels than its source")
			}
			if e := meanAbsError(t, got, whole); tc.exact && maxOf(e) != 0 || maxOf(e) > 1 {
				t.Errorf("DC scans decode %.2f off the whole file", e)
			}
			if e := lumaError(got, whole); tc.exact && e != 0 || e > 0.25 {
				t.Errorf("DC scans decode %.2f off the whole file in luma", e)
			}
		})
	}
}

// lumaError is the mean absolute difference of two same-sized pictures in Rec. 601 luma.
func lumaError(a, b *image.RGBA) float64 {
	var sum float64
	for i := 0; i+3 < len(a.Pix); i += 4 {
		ya := 0.299*float64(a.Pix[i]) + 0.587*float64(a.Pix[i+1]) + 0.114*float64(a.Pix[i+2])
		yb := 0.299*float64(b.Pix[i]) + 0.587*float64(b.Pix[i+1]) + 0.114*float64(b.Pix[i+2])
		sum += max(ya-yb, yb-ya)
	}
	return sum / float64(len(a.Pix)/4)
}

// TestProgressiveThumbnailsTakeTheDCScansWhereTheyCover: Make decodes a progressive photo from
// its DC scans when 1/8 covers every box, and from the whole file when one box needs more, and
// either way makes the thumbnails of the baseline photo.
func TestProgressiveThumbnailsTakeTheDCScansWhereTheyCover(t *testing.T) {
	t.Parallel()
	src := testphotos.Read(t, "camera-2048x1536-orient6.jpg") // 1/8: 256x192
	prog := progressiveOf(t, src)
	for _, tc := range []struct {
		sizes  []int
		fromDC bool
	}{
		{[]int{160}, true},
		{[]int{256, 64}, true},
		{[]int{320, 64}, false}, // 320 needs 1/4
	} {
		m := newMaker(t, func(c *Config) { c.Sizes = tc.sizes })
		want, err := m.Make(src)
		if err != nil {
			t.Fatal(err)
		}
		w := m.idle.get()
		got, err := m.render(w, prog, func(tg target, small *image.RGBA) error {
			data, err := w.encode(JPEG, small, m.cfg.Quality)
			tg.out[0] = Thumbnail{Box: tg.boxes[0], Boxes: tg.boxes, Format: JPEG, Width: small.Rect.Dx(), Height: small.Rect.Dy(), Data: data}
			return err
		})
		fromDC := w.codec.fromDC
		m.idle.put(w)
		if err != nil {
			t.Fatal(err)
		}
		if fromDC != tc.fromDC {
			t.Errorf("sizes %v: decoded from the DC scans %v, want %v", tc.sizes, fromDC, tc.fromDC)
		}
		for i := range want.Thumbnails {
			a, b := decodeOutput(t, want.Thumbnails[i]), decodeOutput(t, got.Thumbnails[i])
			if e := meanAbsError(t, a, b); maxOf(e) > 0.5 {
				t.Errorf("sizes %v: the progressive photo's %d is %.2f off the baseline's", tc.sizes, want.Thumbnails[i].Box, e)
			}
		}
	}
}

// TestDamagedDCScansAreNeverShown damages the first DC scan of a progressive photo in several
// ways: each result must be what decoding the whole file gives (refused as damaged, or
// decoded, as close to its pixels as undamaged DC scans are), never a picture only the DC
// scans made.
func TestDamagedDCScansAreNeverShown(t *testing.T) {
	t.Parallel()
	prog := progressiveOf(t, testphotos.Read(t, "camera-1600x1200.jpg"))
	start, end := firstDCScan(t, prog)
	n := end - start
	damaged := map[string][]byte{
		"bytes flipped": damage(prog, func(b []byte) {
			for i := start + n/4; i < end; i += n / 8 {
				b[i] ^= 0x5a
			}
		}),
		"zeroed":        damage(prog, func(b []byte) { clear(b[start+n/3 : start+n/2]) }),
		"cut short":     append(append([]byte{}, prog[:start+n/2]...), prog[end:]...),
		"marker inside": damage(prog, func(b []byte) { b[start+n/2], b[start+n/2+1] = 0xff, 0xd3 }),
		"end inside":    damage(prog, func(b []byte) { b[start+n/2], b[start+n/2+1] = 0xff, 0xd9 }),
	}
	stored, eighth := image.Pt(1600, 1200), image.Pt(200, 150)
	for name, src := range damaged {
		var c codec
		got, gotErr := c.decodeTurbo(src, stored, eighth, true)
		var gotPix []byte
		if got != nil {
			gotPix = bytes.Clone(got.Pix)
		}
		want, wantErr := c.decodeTurbo(src, stored, eighth, false)
		c.close()
		switch {
		case gotErr != nil && wantErr != nil:
		case gotErr == nil && wantErr != nil:
			t.Errorf("%s: decoded, where the whole file is refused (%v)", name, wantErr)
		case gotErr != nil:
			t.Errorf("%s: refused (%v), where the whole file decodes", name, gotErr)
		default:
			got.Pix = gotPix
			if e := meanAbsError(t, got, want); maxOf(e) > 1 {
				t.Errorf("%s: decoded %.2f off the whole file", name, e)
			}
		}
	}
}

// firstDCScan returns where the entropy-coded data of the first scan of a progressive JPEG
// (a DC scan) is.
func firstDCScan(tb testing.TB, jpg []byte) (start, end int) {
	tb.Helper()
	walkJPEGAt(jpg, func(marker byte, from, to int) bool {
		if marker != 0xda {
			return true
		}
		start, end = to, entropyDataEnd(jpg, to)
		return false
	})
	if end-start < 64 {
		tb.Fatalf("first scan is %d bytes", end-start)
	}
	return start, end
}

// damage returns a copy of b changed by f.
func damage(b []byte, f func([]byte)) []byte {
	b = bytes.Clone(b)
	f(b)
	return b
}

// FuzzEighthScans decodes any bytes that pass the structure checks at 1/8 both ways: from the
// scans that scale reads and whole. Neither may crash (the DC path's C code manages libjpeg's
// coefficient arrays itself), and both must give the 1/8 size. Damage confined to the scans
// left out (an unknown marker after the last DC scan, in the seed corpus) is not seen by the
// first, which then shows the picture its scans hold, where the whole decode refuses the file.
func FuzzEighthScans(f *testing.F) {
	f.Add(readTestdata(f, "progressive.jpg"))
	f.Add(progressive(f, crafted.JPEGOptions{}))
	f.Add(progressive(f, crafted.JPEGOptions{Subsampling: "4:4:4", RepeatScan: 2}))
	f.Fuzz(func(t *testing.T, data []byte) {
		j := inspectJPEG(data)
		if j.check() != nil || j.width < 1 || j.height < 1 || j.width*j.height > 1<<20 {
			return
		}
		stored := image.Pt(j.width, j.height)
		eighth := image.Pt((j.width+7)/8, (j.height+7)/8)
		var c codec
		defer c.close()
		for _, dc := range []bool{true, false} {
			if img, err := c.decodeTurbo(data, stored, eighth, dc); err == nil && img.Rect.Size() != eighth {
				t.Fatalf("decoded to %v, want %v", img.Rect.Size(), eighth)
			}
		}
	})
}
