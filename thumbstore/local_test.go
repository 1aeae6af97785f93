package thumbstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/photoproc/photoproc/thumbstore"
)

func openLocal(t *testing.T, dir string) *thumbstore.Store {
	t.Helper()
	cfg := thumbstore.DefaultConfig()
	cfg.Dir = dir
	s, err := thumbstore.Open(cfg, thumbstore.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestLocalPut(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "made", "by", "open")
	s := openLocal(t, dir)
	ctx := context.Background()
	url, err := s.Put(ctx, "a.jpg", []byte("first"))
	if err != nil || url != "a.jpg" {
		t.Fatalf("Put = %q, %v; want a.jpg, the path relative to the directory", url, err)
	}
	if _, err := s.Put(ctx, "a.jpg", []byte("second, longer")); err != nil {
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

func TestLocalPutRefusesPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openLocal(t, dir)
	for _, name := range []string{"", ".", "..", "../x.jpg", "sub/x.jpg", `sub\x.jpg`, "/etc/passwd", thumbstore.TempPrefix + "x"} {
		if _, err := s.Put(context.Background(), name, []byte("x")); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("refused writes left %d files", len(entries))
	}
}

// A directory removed under a running daemon is unavailable, not a bad photo: Put and Check
// say so, and the pool pauses until it is back.
func TestLocalMissingDirIsUnavailable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "thumbs")
	s := openLocal(t, dir)
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check = %v, want nil", err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(context.Background(), "a.jpg", []byte("x"))
	if !errors.Is(err, thumbstore.ErrUnavailable) || !strings.Contains(err.Error(), "a.jpg") {
		t.Errorf("Put = %v, want ErrUnavailable naming the file", err)
	}
	if err := s.Check(context.Background()); !errors.Is(err, thumbstore.ErrUnavailable) {
		t.Errorf("Check = %v, want ErrUnavailable", err)
	}
}

// TestLocalPutConcurrent has writers race on one name with different complete contents,
// while a reader checks that the name never holds a part of one of them.
func TestLocalPutConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openLocal(t, dir)
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
				if _, err := s.Put(context.Background(), "x.jpg", contents[i]); err != nil {
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

func TestLocalOpenAndStat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openLocal(t, dir)
	ctx := context.Background()
	url, err := s.Put(ctx, "a.jpg", []byte("thumbnail"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || string(got) != "thumbnail" || obj.Size != 9 || obj.ETag == "" || obj.ModTime.IsZero() {
		t.Fatalf("Open = %q %+v, %v", got, obj.Info, err)
	}
	info, err := s.Stat(ctx, url)
	if err != nil || info != obj.Info {
		t.Fatalf("Stat = %+v, %v; want %+v", info, err, obj.Info)
	}
	if _, err := s.Put(ctx, "a.jpg", []byte("another thumbnail")); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Stat(ctx, url); err != nil || again.ETag == info.ETag {
		t.Errorf("ETag %s after a new write, %v; want a new one", again.ETag, err)
	}
	for _, missing := range []string{"b.jpg", "s3://bucket/a.jpg", "https://cdn.example/a.jpg"} {
		if _, err := s.Open(ctx, missing); !errors.Is(err, thumbstore.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", missing, err)
		}
	}
	if _, err := s.Presign(ctx, url, time.Minute); !errors.Is(err, thumbstore.ErrNotSupported) {
		t.Errorf("Presign = %v, want ErrNotSupported", err)
	}
}

// Rows that climb out of the directory are refused, whatever they say.
func TestLocalOpenStaysInsideItsDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "thumbs")
	s := openLocal(t, dir)
	secret := filepath.Join(filepath.Dir(dir), "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"../secret.txt", secret} {
		if obj, err := s.Open(context.Background(), url); err == nil {
			obj.Close()
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}

func TestLocalPublicBaseURL(t *testing.T) {
	t.Parallel()
	cfg := thumbstore.DefaultConfig()
	cfg.Dir, cfg.PublicBaseURL = t.TempDir(), "https://cdn.example.com/thumbs/"
	s, err := thumbstore.Open(cfg, thumbstore.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url, err := s.Put(context.Background(), "a.jpg", []byte("x"))
	if err != nil || url != "https://cdn.example.com/thumbs/a.jpg" {
		t.Fatalf("Put = %q, %v; want the public base URL + key", url, err)
	}
	obj, err := s.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%q) = %v", url, err)
	}
	obj.Close()
}

func TestLocalRemoveLeftovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openLocal(t, dir)
	now := time.Now()
	files := map[string]time.Time{
		thumbstore.TempPrefix + "old.jpg.123": now.Add(-2 * time.Hour),
		thumbstore.TempPrefix + "new.jpg.456": now,
		"keep.jpg":                         now.Add(-2 * time.Hour),
	}
	// More thumbnails than are read at once, so that the old temporary file may be in any
	// batch.
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
	if err := os.Mkdir(filepath.Join(dir, thumbstore.TempPrefix+"dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := s.RemoveLeftovers(context.Background(), now.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RemoveLeftovers = %d, %v; want 1, nil", n, err)
	}
	for name, wantKept := range map[string]bool{thumbstore.TempPrefix + "old.jpg.123": false, thumbstore.TempPrefix + "new.jpg.456": true, "keep.jpg": true, thumbstore.TempPrefix + "dir": true} {
		_, err := os.Stat(filepath.Join(dir, name))
		if kept := err == nil; kept != wantKept {
			t.Errorf("%s kept = %v, want %v", name, kept, wantKept)
		}
	}
}

func assertNoTemp(tb testing.TB, dir string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), thumbstore.TempPrefix) {
			tb.Errorf("temporary file left: %s", e.Name())
		}
	}
	if len(entries) == 0 {
		tb.Errorf("no file in %s", dir)
	}
}

// The key is escaped as a path after PHOTOPROC_PUBLIC_BASE_URL, so a name no URL path may hold
// as it is still names its file, and is read back.
func TestPublicBaseURLEscapesTheKey(t *testing.T) {
	t.Parallel()
	cfg := thumbstore.DefaultConfig()
	cfg.Dir, cfg.PublicBaseURL = t.TempDir(), "https://cdn.example.com/thumbs"
	s, err := thumbstore.Open(cfg, thumbstore.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url, err := s.Put(context.Background(), "a b#1?.jpg", []byte("x"))
	if err != nil || url != "https://cdn.example.com/thumbs/a%20b%231%3F.jpg" {
		t.Fatalf("Put = %q, %v; want the key escaped after the public base URL", url, err)
	}
	obj, err := s.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%q) = %v", url, err)
	}
	obj.Close()
}
