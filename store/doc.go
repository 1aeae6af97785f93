// Package store is photoproc's one home for Postgres: a pgxpool and every SQL statement the
// daemon runs against the photos and photo_thumbnails tables — listing and lookup for the API,
// claims and outcomes for workers (claim.go, settle.go), leases and their sweeps (lease.go),
// reads for the API (read.go) and the admin page (admin.go).
//
// A claim is a lease: Claim moves a photo to processing until lease_until, after which another
// worker, or the lease sweeper (ExpiredLeases), may take it over. Every state change is one
// atomic statement or one transaction, so concurrent workers and daemons never both own a photo
// by accident and a redelivered message never leaves two thumbnail rows.
//
// It is not for schema changes (package migrations owns the schema) and holds no business
// rules about retries or errors: callers decide, store records. Errors wrap pgx's, so a
// connection failure stays recognisable; ErrNotFound is the sentinel callers branch on.
package store
