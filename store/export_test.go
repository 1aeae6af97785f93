package store

import "github.com/jackc/pgx/v5/pgxpool"

// PoolOf exposes a Store's pool to this package's tests, for fixtures and direct checks made
// through the same connections (and registered types) the Store uses.
func PoolOf(s *Store) *pgxpool.Pool { return s.pool }

// Classify exposes classify to this package's tests.
var Classify = classify
