package migrations_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/tern/v2/migrate"

	"github.com/photoproc/photoproc/migrations"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing []string // files in dir beforehand
		newName  string
		wantFile string
		wantErr  error // nil: success; errBadFolder: any error
	}{
		{"first in an empty folder", nil, "create_photos", "001_create_photos.sql", nil},
		{"after the embedded ones", []string{"001_create_photos.sql", "002_processing.sql", "003_retry_at.sql", "004_thumbnail_details.sql", "005_failed_photos_index.sql", "006_thumbnail_formats.sql"}, "add_index", "007_add_index.sql", nil},
		{"keeps a wider numbering", []string{"0001_a.sql", "0002_b.sql"}, "c", "0003_c.sql", nil},
		{"grows past the width", nums(9), "ten", "010_ten.sql", nil},
		{"ignores other files", []string{"001_a.sql", "README.md", "embed.go"}, "b", "002_b.sql", nil},
		{"digits and underscores", nil, "v2_add_index_2", "001_v2_add_index_2.sql", nil},
		{"upper case", nil, "AddIndex", "", migrations.ErrBadName},
		{"dash", nil, "add-index", "", migrations.ErrBadName},
		{"path", nil, "../evil", "", migrations.ErrBadName},
		{"empty", nil, "", "", migrations.ErrBadName},
		{"gap in numbering", []string{"001_a.sql", "003_c.sql"}, "d", "", errBadFolder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range tt.existing {
				write(t, filepath.Join(dir, f), "SELECT 1;\n"+separator+"\nSELECT 1;\n")
			}
			path, err := migrations.New(dir, tt.newName)
			switch {
			case tt.wantErr == errBadFolder && err != nil:
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("New(%q) = %q, %v; want error %v", tt.newName, path, err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("New(%q): %v", tt.newName, err)
			}
			if want := filepath.Join(dir, tt.wantFile); path != want {
				t.Errorf("New(%q) = %q, want %q", tt.newName, path, want)
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(body), "\n"+separator+"\n") {
				t.Errorf("new file lacks the separator line:\n%s", body)
			}
		})
	}
}

var errBadFolder = errors.New("any error")

func nums(n int) []string {
	var files []string
	for i := 1; i <= n; i++ {
		files = append(files, "00"+string(rune('0'+i))+"_m.sql")
	}
	return files
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNewRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "001_a.sql"), "SELECT 1;")
	// tern does not count a folder, so New aims at its name.
	if err := os.Mkdir(filepath.Join(dir, "002_b.sql"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.New(dir, "b"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("New onto an existing name = %v, want fs.ErrExist", err)
	}
}

// TestNewFileLoadsAndRefusesToApply checks that tern loads the written file after the
// embedded ones, and that applying it unedited fails instead of recording a version.
func TestNewFileLoadsAndRefusesToApply(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, migrations.FS()); err != nil {
		t.Fatal(err)
	}
	path, err := migrations.New(dir, "add_index")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "007_add_index.sql" {
		t.Fatalf("New wrote %s, want 007_add_index.sql", path)
	}

	b := setup(t)
	tm, err := migrate.NewMigrator(ctx(t), b.conn, "schema_version")
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.LoadMigrations(os.DirFS(dir)); err != nil {
		t.Fatalf("tern cannot load the new file: %v", err)
	}
	if n := len(tm.Migrations); n != 7 || tm.Migrations[6].Name != "007_add_index.sql" {
		t.Fatalf("tern loaded %d migrations, last %q; want 7, last 007_add_index.sql", n, tm.Migrations[n-1].Name)
	}
	err = tm.Migrate(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "007_add_index.sql is not written yet") {
		t.Fatalf("applying the unedited file = %v, want it to say it is not written yet", err)
	}
	if v, err := tm.GetCurrentVersion(ctx(t)); err != nil || v != 6 {
		t.Fatalf("version after the refused migration = %d, %v; want 6", v, err)
	}
}

func TestNewMissingFolder(t *testing.T) {
	t.Parallel()
	_, err := migrations.New(filepath.Join(t.TempDir(), "nope"), "x")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("New in a missing folder = %v, want fs.ErrNotExist", err)
	}
}
