package migrations_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/jackc/tern/v2/migrate"

	"github.com/photoproc/photoproc/migrations"
)

const separator = "---- create above / drop below ----"

func TestEmbeddedFilesParse(t *testing.T) {
	t.Parallel()
	names, err := migrate.FindMigrations(migrations.FS())
	if err != nil {
		t.Fatalf("FindMigrations: %v", err)
	}
	want := []string{"001_create_photos.sql", "002_processing.sql", "003_retry_at.sql", "004_thumbnail_details.sql", "005_failed_photos_index.sql", "006_thumbnail_formats.sql"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("embedded migrations = %v, want %v", names, want)
	}
	// A Migrator without a connection only loads and evaluates the templates.
	tm, err := migrate.NewMigrator(t.Context(), nil, "schema_version")
	if err != nil {
		t.Fatalf("NewMigrator: %v", err)
	}
	if err := tm.LoadMigrations(migrations.FS()); err != nil {
		t.Fatalf("LoadMigrations: %v", err)
	}
	for i, m := range tm.Migrations {
		t.Run(m.Name, func(t *testing.T) {
			raw, err := fs.ReadFile(migrations.FS(), m.Name)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(raw), separator) != 1 {
				t.Errorf("want exactly one separator line %q", separator)
			}
			if m.Sequence != int32(i+1) {
				t.Errorf("sequence = %d, want %d", m.Sequence, i+1)
			}
			if strings.TrimSpace(m.UpSQL) == "" || strings.TrimSpace(m.DownSQL) == "" {
				t.Errorf("want both an up and a down part")
			}
			// One transaction per migration: a failure leaves no half-applied schema.
			if strings.Contains(m.UpSQL, "tern: disable-tx") {
				t.Errorf("migrations must run in a transaction")
			}
		})
	}
}
