package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"

	"github.com/photoproc/photoproc/migrations"
)

func TestUpDownUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	all := []string{"001_create_photos.sql", "002_processing.sql", "003_retry_at.sql", "004_thumbnail_details.sql",
		"005_failed_photos_index.sql", "006_thumbnail_formats.sql"}
	latest := int32(len(all))

	type step struct {
		name string
		do   func(context.Context) error
		want migrations.Status
	}
	steps := []step{
		{"fresh", nil, migrations.Status{Current: 0, Latest: latest, Pending: all}},
		{"up", b.m.Up, migrations.Status{Current: latest, Latest: latest}},
		{"up again is a no-op", b.m.Up, migrations.Status{Current: latest, Latest: latest}},
		{"down", b.m.Down, migrations.Status{Current: latest - 1, Latest: latest, Pending: all[latest-1:]}},
		{"up after down", b.m.Up, migrations.Status{Current: latest, Latest: latest}},
	}
	for v := latest - 1; v >= 0; v-- {
		steps = append(steps, step{"down", b.m.Down, migrations.Status{Current: v, Latest: latest, Pending: all[v:]}})
	}
	for _, s := range steps {
		if s.do != nil {
			if err := s.do(ctx(t)); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		got, err := b.m.Status(ctx(t))
		if err != nil {
			t.Fatalf("%s: Status: %v", s.name, err)
		}
		if got.Current != s.want.Current || got.Latest != s.want.Latest || !slices.Equal(got.Pending, s.want.Pending) {
			t.Fatalf("%s: Status() = %+v, want %+v", s.name, got, s.want)
		}
	}

	err := b.m.Down(ctx(t))
	if !errors.Is(err, migrations.ErrAtZero) {
		t.Fatalf("Down at version 0 = %v, want ErrAtZero", err)
	}
	if tables := schema(t, b.conn); tables != "column schema_version.version integer null=NO default=\ntable schema_version\n" {
		t.Errorf("schema at version 0:\n%s\nwant only the version table", tables)
	}
}

// TestDownUndoesExactlyUp checks that each down part restores the schema its up part found.
func TestDownUndoesExactlyUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var before []string // before[v] = schema at version v
	before = append(before, schema(t, b.conn))
	for range 3 {
		migrateTo(t, b, int32(len(before)))
		before = append(before, schema(t, b.conn))
	}
	for v := len(before) - 2; v >= 0; v-- {
		if err := b.m.Down(ctx(t)); err != nil {
			t.Fatalf("Down to %d: %v", v, err)
		}
		if got := schema(t, b.conn); got != before[v] {
			t.Errorf("schema after Down to %d differs from the schema at %d:\ngot:\n%s\nwant:\n%s", v, v, got, before[v])
		}
	}
}

// migrateTo brings b's database to version v with tern itself, as an older binary would.
func migrateTo(t *testing.T, b *bundle, v int32) {
	t.Helper()
	tm, err := migrate.NewMigrator(ctx(t), b.conn, "schema_version")
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.LoadMigrations(migrations.FS()); err != nil {
		t.Fatal(err)
	}
	if err := tm.MigrateTo(ctx(t), v); err != nil {
		t.Fatalf("migrate to %d: %v", v, err)
	}
}

// schema describes the public schema: tables, columns, indexes, constraints and types.
func schema(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	const q = `
SELECT 'table ' || table_name FROM information_schema.tables WHERE table_schema = 'public'
UNION ALL
SELECT format('column %s.%s %s null=%s default=%s', table_name, column_name, data_type, is_nullable, column_default)
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT format('constraint %s on %s: %s', conname, conrelid::regclass, pg_get_constraintdef(oid))
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e'
ORDER BY 1`
	rows, err := conn.Query(ctx(t), q)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	var sb strings.Builder
	for _, l := range lines {
		fmt.Fprintln(&sb, l)
	}
	return sb.String()
}

// TestRetryAtMarksWaitingRetries checks that 003 marks the photos an earlier version released
// for a retry (pending, with the failure's reason) as waiting for one, and no other photo.
func TestRetryAtMarksWaitingRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	migrateTo(t, b, 2)
	if _, err := b.conn.Exec(ctx(t), `
INSERT INTO photos (url, status, failure_reason, updated_at) VALUES
    ('https://photos.example/retry.jpg', 'pending', '503 Service Unavailable', now() - interval '1 hour'),
    ('https://photos.example/new.jpg', 'pending', NULL, now()),
    ('https://photos.example/failed.jpg', 'failed', '404 Not Found', now())`); err != nil {
		t.Fatal(err)
	}
	if err := b.m.Up(ctx(t)); err != nil {
		t.Fatal(err)
	}
	rows, err := b.conn.Query(ctx(t), `SELECT url FROM photos WHERE retry_at = updated_at`)
	if err != nil {
		t.Fatal(err)
	}
	urls, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://photos.example/retry.jpg"}; !slices.Equal(urls, want) {
		t.Errorf("photos marked waiting for a retry: %v, want %v", urls, want)
	}
}
