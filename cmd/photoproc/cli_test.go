package main

import (
	"bytes"
	"context"
	"image/jpeg"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/store/storetest"
)

// runCLI runs one photoproc command line with env as its whole environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &cliEnv{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PG_CONNECTION_URI": storetest.EmptyDatabase(t)}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "status"}, "version 0 of 6; pending: 001_create_photos.sql, 002_processing.sql, 003_retry_at.sql, 004_thumbnail_details.sql, 005_failed_photos_index.sql, 006_thumbnail_formats.sql"},
		{[]string{"migrate", "up"}, "version 6 of 6"},
		{[]string{"migrate", "down"}, "version 5 of 6; pending: 006_thumbnail_formats.sql"},
		{[]string{"migrate", "up"}, "version 6 of 6"},
		{[]string{"migrate", "status"}, "version 6 of 6"},
	}
	for _, s := range steps {
		code, out, errOut := runCLI(t, env, s.args...)
		if code != 0 || !strings.Contains(out, s.want) {
			t.Fatalf("%v = %d %q %q, want %q", s.args, code, out, errOut, s.want)
		}
	}
	if code, _, _ := runCLI(t, env, "migrate", "sideways"); code != 2 {
		t.Fatalf("unknown migrate subcommand exited %d, want 2", code)
	}
}

func TestMigrateNewWritesTheNextFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"001_create_photos.sql", "002_processing.sql"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("-- x\n---- create above / drop below ----\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI(t, nil, "migrate", "--dir", dir, "new", "add_captions")
	if code != 0 || !strings.Contains(out, "003_add_captions.sql") {
		t.Fatalf("migrate new = %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "003_add_captions.sql")); err != nil {
		t.Fatal(err)
	}
}

func TestBadConfigurationNamesEachVariable(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, map[string]string{
		"PHOTOPROC_WORKERS":            "0",
		"PHOTOPROC_RETRY_BACKOFF":      "soon",
		"PHOTOPROC_MAX_DOWNLOAD_BYTES": "lots",
		"PHOTOPROC_QUEUE_TYPE":         "stream",
	}, "serve")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, v := range []string{"PHOTOPROC_WORKERS", "PHOTOPROC_RETRY_BACKOFF", "PHOTOPROC_MAX_DOWNLOAD_BYTES", "PHOTOPROC_QUEUE_TYPE"} {
		if !strings.Contains(errOut, v+"=") {
			t.Errorf("stderr does not name %s:\n%s", v, errOut)
		}
	}
}

func TestThumbnailCommand(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, nil, "thumbnail", "-o", out,
		testphotos.Path(t, "camera-2048x1536-orient6.jpg"), testphotos.Path(t, "small-canon40d.jpg"))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	for name, want := range map[string][2]int{"camera-2048x1536-orient6.jpg.jpg": {240, 320}, "small-canon40d.jpg.jpg": {100, 68}} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != want[0] || cfg.Height != want[1] {
			t.Fatalf("%s: %dx%d (%v), want %dx%d", name, cfg.Width, cfg.Height, err, want[0], want[1])
		}
	}
	// A file that is not an image fails with a reason and a non-zero exit; the others still run.
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(bad, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, nil, "thumbnail", "-o", out, bad)
	if code != 1 || !strings.Contains(stderr, "not an image") {
		t.Fatalf("bad file: exit %d, stderr %q", code, stderr)
	}
}

// TestThumbnailCommandInParallel makes several files at once (-j 3): every one is made, the
// lines come out in the order of the files, and a failing file in the middle fails alone.
func TestThumbnailCommandInParallel(t *testing.T) {
	t.Parallel()
	out, in := t.TempDir(), t.TempDir()
	var files []string
	for _, name := range []string{"orientation/Landscape_1.jpg", "small-canon40d.jpg", "notes.txt", "orientation/Portrait_6.jpg", "camera-1600x1200.jpg"} {
		data := []byte("hello")
		if name != "notes.txt" {
			data = testphotos.Read(t, name)
		}
		f := filepath.Join(in, filepath.Base(name))
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	code, stdout, stderr := runCLI(t, nil, append([]string{"thumbnail", "-j", "3", "-o", out}, files...)...)
	if code != 1 || !strings.Contains(stderr, "notes.txt: ") || !strings.Contains(stderr, "1 of 5 files failed") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	want := []string{files[0], files[1], files[3], files[4]}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), stdout)
	}
	for i, f := range want {
		if !strings.HasPrefix(lines[i], f+" -> ") {
			t.Errorf("line %d is %q, want the one of %s", i, lines[i], f)
		}
		if _, err := os.Stat(filepath.Join(out, filepath.Base(f)+".jpg")); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestVersionAndOpenAPICommands(t *testing.T) {
	t.Parallel()
	if code, out, _ := runCLI(t, nil, "version"); code != 0 || !strings.Contains(out, "go1.") ||
		!strings.Contains(out, "JPEG codec "+imaging.JPEGCodec) || !strings.Contains(out, "HEIF codec "+imaging.HEIFSupport()) ||
		!strings.Contains(out, "colour profiles "+imaging.ColourEngine()) {
		t.Fatalf("version = %d %q", code, out)
	}
	code, out, _ := runCLI(t, nil, "openapi")
	if code != 0 || !strings.HasPrefix(out, "components:") && !strings.HasPrefix(out, "openapi:") || !strings.Contains(out, "/photos/process:") {
		t.Fatalf("openapi = %d %q", code, out[:min(len(out), 200)])
	}
	if code, _, _ := runCLI(t, nil, "frobnicate"); code != 2 {
		t.Fatalf("unknown command exited %d, want 2", code)
	}
}

// Without --url, healthcheck asks /readyz of the admin listener PHOTOPROC_ADMIN_ADDR names.
func TestHealthcheckFollowsTheAdminAddress(t *testing.T) {
	t.Parallel()
	status := http.StatusOK
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	env := map[string]string{"PHOTOPROC_ADMIN_ADDR": ":" + port} // every address: asked on loopback
	if code, _, stderr := runCLI(t, env, "healthcheck"); code != 0 {
		t.Fatalf("healthcheck of a ready daemon: exit %d, %s", code, stderr)
	}
	mu.Lock()
	status = http.StatusServiceUnavailable
	mu.Unlock()
	if code, _, stderr := runCLI(t, env, "healthcheck"); code != 1 || !strings.Contains(stderr, "503") {
		t.Fatalf("healthcheck of a daemon not ready: exit %d, %s", code, stderr)
	}
}
