// Package store is photoproc's one home for Postgres: a pgxpool and every SQL statement the
// daemon runs against the photos and photo_thumbnails tables: claims and outcomes for workers
// (claim.go, settle.go), leases and their sweeps (lease.go), reads for the API (read.go) and
// the admin page (admin.go).
//
// A claim is a lease: Claim moves a photo to processing until lease_until, after which another
// worker, or the lease sweeper (ExpiredLeases), may take it over. Every state change is one
// atomic statement or one transaction, so concurrent workers and daemons never both own a photo
// by accident and a redelivered message never leaves two thumbnail rows.
//
// It is not for schema changes (package migrations owns the schema) and holds no business
// rules about retries or errors: callers decide, store records. Every call is bounded by
// Config.Timeout. Errors wrap pgx's; those that say the database cannot serve the call (it does
// not answer, refuses writes, is shutting down or out of disk) are also marked ErrUnavailable
// (ErrReadOnly for refused writes), so that callers wait for the database instead of blaming
// the photo. ErrNotFound and ErrNotClaimed are the other sentinels callers branch on.
package store
