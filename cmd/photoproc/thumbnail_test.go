package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/webp"

	"github.com/photoproc/photoproc/imaging"
)

// TestThumbnailNamesNeverCollide runs `photoproc thumbnail -o DIR a/x.png b/x.png x.jpg`, which
// once wrote all three to DIR/x.jpg: each input must get its own thumbnail, of its own colour.
func TestThumbnailNamesNeverCollide(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	colours := map[string]color.RGBA{
		"a/x.png": {255, 0, 0, 255},
		"b/x.png": {0, 0, 255, 255},
		"x.jpg":   {0, 160, 0, 255},
	}
	var args []string
	for _, name := range slices.Sorted(maps.Keys(colours)) {
		writePicture(t, filepath.Join(src, name), colours[name])
		args = append(args, filepath.Join(src, name))
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, nil, append([]string{"thumbnail", "-o", out}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	for name, want := range colours {
		got := centreColour(t, filepath.Join(out, name+".jpg"))
		if d := max(diff(got.R, want.R), diff(got.G, want.G), diff(got.B, want.B)); d > 8 {
			t.Errorf("%s.jpg is %v, want the colour of %s, %v", name, got, name, want)
		}
	}
	if n := countFiles(t, out); n != 3 {
		t.Errorf("%d files written, want 3", n)
	}
}

// TestThumbnailSameFileTwice: the same file given twice, by the same path or through a link,
// would still collide: the command fails naming them, and writes nothing.
func TestThumbnailSameFileTwice(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	photo := filepath.Join(src, "x.png")
	writePicture(t, photo, color.RGBA{255, 0, 0, 255})
	link := filepath.Join(src, "y.png")
	if err := os.Symlink(photo, link); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{photo, photo}, {photo, filepath.Join(src, ".", "x.png")}, {photo, link}} {
		out := t.TempDir()
		code, _, stderr := runCLI(t, nil, append([]string{"thumbnail", "-o", out}, args...)...)
		if code != 1 || !strings.Contains(stderr, "are the same file") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and a message naming both", args, code, stderr)
		}
		if n := countFiles(t, out); n != 0 {
			t.Errorf("%v: %d files written, want none", args, n)
		}
	}
}

// TestOutputsRefuseOverwrites: where the file system makes one file of two names (a case-
// insensitive one; a link here), the second thumbnail is refused, not written over the first.
func TestOutputsRefuseOverwrites(t *testing.T) {
	t.Parallel()
	dir, src := t.TempDir(), t.TempDir()
	a, b := filepath.Join(src, "a.jpg"), filepath.Join(src, "B.jpg")
	for _, f := range []string{a, b} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var o outputs
	if err := o.write(a, dir, "a.jpg.jpg", []byte("first"), putLocal(context.Background())); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "a.jpg.jpg"), filepath.Join(dir, "B.jpg.jpg")); err != nil {
		t.Fatal(err)
	}
	err := o.write(b, dir, "B.jpg.jpg", []byte("second"), putLocal(context.Background()))
	if err == nil || !strings.Contains(err.Error(), "would overwrite that of "+a) {
		t.Fatalf("write = %v, want a refusal naming %s", err, a)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.jpg.jpg")); string(got) != "first" {
		t.Errorf("first thumbnail now holds %q", got)
	}
	// A thumbnail never replaces its own source.
	if err := o.write(a, src, "a.jpg", []byte("x"), putLocal(context.Background())); err == nil || !strings.Contains(err.Error(), "overwrite the source") {
		t.Errorf("writing over the source: %v", err)
	}
}

func TestOutputNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"/p/a/x.png", "/p/b/x.png", "/p/x.jpg"}, []string{"a/x.png.jpg", "b/x.png.jpg", "x.jpg.jpg"}},
		{[]string{"/p/2023/IMG_1.JPG", "/p/2024/IMG_1.JPG"}, []string{"2023/IMG_1.JPG.jpg", "2024/IMG_1.JPG.jpg"}},
		{[]string{"/p/one/x.heic"}, []string{"x.heic.jpg"}},
		{[]string{"/a/x.jpg", "/b/c/x.jpg"}, []string{"a/x.jpg.jpg", "b/c/x.jpg.jpg"}},
		{[]string{"/pa/x.jpg", "/pab/x.jpg"}, []string{"pa/x.jpg.jpg", "pab/x.jpg.jpg"}},
		{[]string{"/p/x.jpg", "/p/x.jpg.jpg"}, []string{"x.jpg.jpg", "x.jpg.jpg.jpg"}},
	} {
		got, err := outputNames(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("outputNames(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func writePicture(t *testing.T, path string, c color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".png") {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func centreColour(t *testing.T, path string) color.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	r, g, bl, _ := img.At(b.Dx()/2, b.Dy()/2).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func diff(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }

// TestThumbnailWritesEverySizeAndFormat: with several sizes and formats, the primary goes to
// NAME.jpg as before and every other to NAME-<box>.<ext>, each of its size; boxes the photo
// fits in share one file, named after the first of them.
func TestThumbnailWritesEverySizeAndFormat(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writePicture(t, filepath.Join(src, "x.png"), color.RGBA{0, 0, 255, 255}) // 40x30
	formats := "jpeg"
	exts := []string{"jpg"}
	if !strings.Contains(imaging.EncoderSupport(), "WebP none") {
		formats, exts = "jpeg,webp,avif", []string{"jpg", "webp", "avif"}
	}
	out := t.TempDir()
	env := map[string]string{"PHOTOPROC_THUMBNAIL_SIZES": "20,10,80,100", "PHOTOPROC_THUMBNAIL_FORMATS": formats}
	code, stdout, stderr := runCLI(t, env, "thumbnail", "-o", out, filepath.Join(src, "x.png"))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	want := map[string]image.Point{"x.png.jpg": {20, 15}}
	for _, ext := range exts {
		if ext != "jpg" {
			want["x.png-20."+ext] = image.Pt(20, 15)
		}
		want["x.png-10."+ext] = image.Pt(10, 8)
		want["x.png-80."+ext] = image.Pt(40, 30)
	}
	for name, size := range want {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := fileSize(t, name, data); got != size {
			t.Errorf("%s is %v, want %v", name, got, size)
		}
	}
	if n := countFiles(t, out); n != len(want) {
		t.Errorf("%d files written, want %d", n, len(want))
	}
	if !strings.Contains(stdout, "thumbhash ") {
		t.Errorf("no ThumbHash in %q", stdout)
	}
}

// fileSize reads the size of a JPEG or WebP, or of an AVIF's primary image from its ispe box.
func fileSize(t *testing.T, name string, data []byte) image.Point {
	t.Helper()
	switch filepath.Ext(name) {
	case ".webp":
		cfg, err := webp.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return image.Pt(cfg.Width, cfg.Height)
	case ".avif":
		i := bytes.Index(data, []byte("ispe"))
		if string(data[4:12]) != "ftypavif" || i < 0 || i+16 > len(data) {
			t.Fatalf("%s is not an AVIF with an ispe", name)
		}
		return image.Pt(int(binary.BigEndian.Uint32(data[i+8:])), int(binary.BigEndian.Uint32(data[i+12:])))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return image.Pt(cfg.Width, cfg.Height)
}
