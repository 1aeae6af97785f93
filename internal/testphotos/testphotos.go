// Package testphotos finds the shared real-photo test corpus (../shared/testdata/photos from the
// repository root) for tests and benchmarks. It is for tests only.
//
// The corpus is not copied into this repository. A test that needs it fails with a message that
// says where it was looked for; it never skips, so CI cannot pass without running it.
package testphotos

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvDir overrides where the corpus is looked for.
const EnvDir = "PHOTOPROC_TESTDATA"

// Dir returns the absolute path of the photo corpus, or fails the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := find()
	if err != nil {
		tb.Fatalf("test photos not found: %v (set %s to the folder that holds camera-4032x3024.jpg, normally ../shared/testdata/photos from the repository root)", err, EnvDir)
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
	dir := filepath.Join(filepath.Dir(root), "shared", "testdata", "photos")
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}
