package store

import "github.com/jackc/pgx/v5/pgxpool"

// PoolOf exposes a DB's pool to this package's tests, for fixtures and direct checks made
// through the same connections (and registered types) the DB uses.
func PoolOf(s *DB) *pgxpool.Pool { return s.pool }

// Classify exposes classify to this package's tests.
var Classify = classify
