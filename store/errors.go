package store

import "errors"

var (
	// ErrNotFound means no photo has the given uuid.
	ErrNotFound = errors.New("photo not found")
	// ErrNotClaimed is returned by ExtendLease for a photo that is not being processed.
	ErrNotClaimed = errors.New("photo is not being processed")
	// ErrNoSchema means the database lacks photoproc's tables: migrations were not applied.
	ErrNoSchema = errors.New("database schema missing: run `photoproc migrate up`")
)
