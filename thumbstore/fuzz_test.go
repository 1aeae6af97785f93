package thumbstore_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/thumbstore"
)

// FuzzValidateLocation: any PHOTOPROC_STORAGE value is either refused or names one backend,
// never a panic.
func FuzzValidateLocation(f *testing.F) {
	for _, s := range []string{"", "./thumbs", "/var/lib/x", "s3://photos", "s3://photos/a/b/", "s3://", "s3://a/../b", "gs://x", "s3://Photos"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, loc string) {
		cfg := thumbstore.DefaultConfig()
		cfg.Location = loc
		err := thumbstore.ValidateLocation(loc)
		switch b := cfg.Backend(); {
		case err != nil && b != "":
			t.Fatalf("%q refused (%v) but has backend %q", loc, err, b)
		case err == nil && b != thumbstore.BackendLocal && b != thumbstore.BackendS3:
			t.Fatalf("%q accepted with backend %q", loc, b)
		case err == nil && b == thumbstore.BackendS3 && !strings.HasPrefix(loc, "s3://"):
			t.Fatalf("%q is a bucket without s3://", loc)
		}
	})
}

// FuzzLocalOpen: whatever a row's URL says, a local store reads nothing outside its
// directory.
func FuzzLocalOpen(f *testing.F) {
	for _, s := range []string{"a.jpg", "../secret.txt", "/etc/passwd", "./a.jpg", "sub/../../secret.txt", "..", ".", "", "s3://b/a.jpg"} {
		f.Add(s)
	}
	parent := f.TempDir()
	dir := filepath.Join(parent, "thumbs")
	if err := os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("secret"), 0o600); err != nil {
		f.Fatal(err)
	}
	cfg := thumbstore.DefaultConfig()
	cfg.Dir = dir
	s, err := thumbstore.Open(cfg, thumbstore.Deps{})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(context.Background(), "a.jpg", []byte("thumbnail")); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, url string) {
		obj, err := s.Open(context.Background(), url)
		if err != nil {
			return
		}
		defer obj.Close()
		b, _ := io.ReadAll(obj)
		if strings.Contains(string(b), "secret") {
			t.Fatalf("Open(%q) read a file outside the directory", url)
		}
	})
}
