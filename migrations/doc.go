// Package migrations holds the database schema of photoproc as tern SQL migrations embedded in
// the binary, and runs them: up to the latest version, down one version, status, and writing
// the next numbered file.
//
// Each file is NNN_name.sql: the up part, then the line "---- create above / drop below ----",
// then the down part, which must undo exactly what the up part did. Files are Go text/templates
// (tern evaluates them), so a literal double opening brace must be escaped.
//
// Migrations serialise on tern's Postgres advisory lock; unlike tern, a Migrator gives up after
// Config.LockTimeout with ErrLockTimeout instead of waiting forever.
//
// It is not a query layer: the daemon's SQL lives in package store.
package migrations
