package migrations

import "errors"

var (
	// ErrLockTimeout means another migration held the migration lock for longer than
	// Config.LockTimeout: it is still running, or its session is stuck.
	ErrLockTimeout = errors.New("timed out waiting for the migration lock")
	// ErrAtZero is returned by Down when no migration is applied.
	ErrAtZero = errors.New("database is at version 0: nothing to undo")
	// ErrBadName is returned by New for a name that is not [a-z0-9_]+.
	ErrBadName = errors.New("migration name must match [a-z0-9_]+")
)
