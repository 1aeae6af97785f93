package migrations

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/jackc/tern/v2/migrate"
)

var namePattern = regexp.MustCompile(`\A[a-z0-9_]+\z`)

// defaultWidth is the digits of the sequence number when dir holds no migration yet.
const defaultWidth = 3

// New writes the next numbered migration file, NNN_name.sql, into dir (the source folder of
// this package) and returns its path. It numbers with the width of the existing files and
// never overwrites one. The binary embeds migrations when it is built, so a new file takes
// effect after a rebuild.
//
// Until someone writes it, the new migration fails when applied (in either direction) with a
// message naming the file, rather than silently recording a version that changes nothing.
func New(dir, name string) (string, error) {
	if !namePattern.MatchString(name) {
		return "", fmt.Errorf("new migration %q: %w", name, ErrBadName)
	}
	existing, err := migrate.FindMigrations(os.DirFS(dir))
	if err != nil {
		return "", fmt.Errorf("new migration: read %s: %w", dir, err)
	}
	width := defaultWidth
	if n := len(existing); n > 0 {
		width = len(numberPattern.FindString(existing[n-1]))
	}
	file := fmt.Sprintf("%0*d_%s.sql", width, len(existing)+1, name)
	path := filepath.Join(dir, file)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("new migration: %w", err)
	}
	_, werr := f.WriteString(skeleton(file))
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", fmt.Errorf("new migration: write %s: %w", path, err)
	}
	return path, nil
}

var numberPattern = regexp.MustCompile(`\A\d+`)

// skeleton is the text of a new migration. Its statements are placeholders that fail, so that
// an unwritten migration is never recorded as applied. file is [0-9]+_[a-z0-9_]+.sql, safe
// inside an SQL string literal.
func skeleton(file string) string {
	return `-- ` + file + `: say here why this change is needed.
-- Replace the placeholder with the up part; the down part, under the separator, must undo
-- exactly what the up part does. This file is a Go text/template (tern evaluates it), so
-- write a literal double opening brace as {{"{{"}}.

DO $$ BEGIN RAISE EXCEPTION '` + file + ` is not written yet'; END $$;

---- create above / drop below ----

DO $$ BEGIN RAISE EXCEPTION '` + file + ` has no down part yet'; END $$;
`
}
