package imaging

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := WriteFile(dir, "a.jpg", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dir, "a.jpg", []byte("second, longer")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "a.jpg"))
	if err != nil || string(got) != "second, longer" {
		t.Fatalf("file holds %q, %v; want the second write", got, err)
	}
	info, err := os.Stat(filepath.Join(dir, "a.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o644 {
		t.Errorf("mode %v, want 0644", perm)
	}
	assertNoTemp(t, dir)
}

func TestWriteFileRefusesPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"", ".", "..", "../x.jpg", "sub/x.jpg", `sub\x.jpg`, "/etc/passwd", TempPrefix + "x"} {
		if err := WriteFile(dir, name, []byte("x")); err == nil {
			t.Errorf("WriteFile(%q) succeeded, want an error", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("refused writes left %d files", len(entries))
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	t.Parallel()
	err := WriteFile(filepath.Join(t.TempDir(), "missing"), "a.jpg", []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "a.jpg") {
		t.Fatalf("WriteFile = %v, want an error naming the file", err)
	}
}

// TestWriteFileConcurrent has writers race on one name with different complete contents, while
// a reader checks that the name never holds a part of one of them.
func TestWriteFileConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const writers, size = 8, 256 << 10
	contents := make([][]byte, writers)
	for i := range contents {
		contents[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}
	isWhole := func(b []byte) bool {
		for _, c := range contents {
			if bytes.Equal(b, c) {
				return true
			}
		}
		return false
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			b, err := os.ReadFile(filepath.Join(dir, "x.jpg"))
			if err == nil && !isWhole(b) {
				t.Errorf("reader saw %d bytes that are no writer's whole file", len(b))
				return
			}
		}
	})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for range 5 {
				if err := WriteFile(dir, "x.jpg", contents[i]); err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()
	b, err := os.ReadFile(filepath.Join(dir, "x.jpg"))
	if err != nil || !isWhole(b) {
		t.Fatalf("final file: %d bytes, %v; want one writer's whole file", len(b), err)
	}
	assertNoTemp(t, dir)
}

func TestRemoveTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	files := map[string]time.Time{
		TempPrefix + "old.jpg.123": now.Add(-2 * time.Hour),
		TempPrefix + "new.jpg.456": now,
		"keep.jpg":                 now.Add(-2 * time.Hour),
	}
	// More thumbnails than RemoveTemp reads at once, so that the old temporary file may be in
	// any batch.
	for i := range 1100 {
		files[fmt.Sprintf("thumb-%04d.jpg", i)] = now
	}
	for name, mtime := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, TempPrefix+"dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := RemoveTemp(dir, now.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RemoveTemp = %d, %v; want 1, nil", n, err)
	}
	for name, wantKept := range map[string]bool{TempPrefix + "old.jpg.123": false, TempPrefix + "new.jpg.456": true, "keep.jpg": true, TempPrefix + "dir": true} {
		_, err := os.Stat(filepath.Join(dir, name))
		if kept := err == nil; kept != wantKept {
			t.Errorf("%s kept = %v, want %v", name, kept, wantKept)
		}
	}
	if _, err := RemoveTemp(filepath.Join(dir, "missing"), now); err == nil {
		t.Error("RemoveTemp of a missing directory succeeded")
	}
}

func assertNoTemp(tb testing.TB, dir string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			tb.Errorf("temporary file left: %s", e.Name())
		}
	}
	if len(entries) == 0 {
		tb.Errorf("no file in %s", dir)
	}
}
