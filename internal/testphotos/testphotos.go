// Package testphotos finds the project's real test photos (testdata/photos at the repository
// root; see its README for what each one is and where it comes from), and makes the larger
// photos the corpus lacks. It is for tests and the benchmark tools only.
//
// A test that needs a photo that is missing fails with a message that says where it was looked
// for; it never skips, so CI cannot pass without running it.
package testphotos

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// EnvDir overrides where the corpus is looked for.
const EnvDir = "PHOTOPROC_TESTDATA"

// Dir returns the absolute path of the photo corpus, or fails the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := find()
	if err != nil {
		tb.Fatalf("test photos not found: %v (they are in testdata/photos of the repository; %s overrides where they are looked for)", err, EnvDir)
	}
	return dir
}

// Path returns the absolute path of one file of the corpus, e.g. "orientation/Landscape_6.jpg".
func Path(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(Dir(tb), filepath.FromSlash(name))
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("test photo %s: %v", name, err)
	}
	return p
}

// Read returns the bytes of one file of the corpus.
func Read(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, name))
	if err != nil {
		tb.Fatalf("read test photo: %v", err)
	}
	return b
}

func find() (string, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return "", err
		}
		return filepath.Abs(dir)
	}
	// This file is internal/testphotos/testphotos.go; the repository root is two levels up.
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(self)))
	dir := filepath.Join(root, "testdata", "photos")
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// Enlarged24MP is the 12 MP camera-4032x3024.jpg enlarged to 6000x4000 (24 MP), JPEG quality
// 90: the corpus holds no photo that large, and the benchmarks and quality tests need one. The
// enlargement adds no detail, but decoding and resizing it costs what a 24 MP photo costs.
func Enlarged24MP(tb testing.TB) []byte {
	tb.Helper()
	b, err := Enlarge(Read(tb, "camera-4032x3024.jpg"), 6000, 4000)
	if err != nil {
		tb.Fatalf("enlarge test photo: %v", err)
	}
	return b
}

// Enlarge decodes the JPEG src, scales it to w×h (bilinear) and encodes it as a JPEG of
// quality 90.
func Enlarge(src []byte, w, h int) ([]byte, error) {
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	big := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(big, big.Rect, img, img.Bounds(), xdraw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, big, &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
