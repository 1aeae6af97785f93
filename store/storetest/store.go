package storetest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/photoproc/photoproc/store"
)

// NewStore opens a store.DB on a NewDatabase, closed when the test ends, and returns it
// with the database's URI.
func NewStore(tb testing.TB) (*store.DB, string) {
	tb.Helper()
	uri := NewDatabase(tb)
	cfg := store.DefaultConfig()
	cfg.URI = uri
	s, err := store.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatalf("storetest: open store: %v", err)
	}
	tb.Cleanup(s.Close)
	return s, uri
}

// Pool opens a plain pgx pool on uri, closed when the test ends: for fixtures (Photo) and for
// checking rows directly.
func Pool(tb testing.TB, uri string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), uri)
	if err != nil {
		tb.Fatalf("storetest: open pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}
