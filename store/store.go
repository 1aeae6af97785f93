package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the daemon's access to Postgres. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// Open builds the connection pool. It connects lazily, so it succeeds while the database is
// down; a bad configuration or URI fails here.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store config: %w", err)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URI)
	if err != nil {
		return nil, fmt.Errorf("postgres URI: %w", err)
	}
	pcfg.MaxConns = cfg.MaxConns
	if pcfg.MaxConns == 0 {
		pcfg.MaxConns = DefaultMaxConns
	}
	// Names the daemon's sessions in pg_stat_activity unless the URI already does.
	if _, ok := pcfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		pcfg.ConnConfig.RuntimeParams["application_name"] = "photoproc"
	}
	pcfg.AfterConnect = registerTypes
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres pool: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "store")
	logger.Debug("postgres pool ready", "host", pcfg.ConnConfig.Host, "database", pcfg.ConnConfig.Database, "max_conns", pcfg.MaxConns)
	return &Store{pool: pool, log: logger}, nil
}

// registerTypes teaches each new connection the photo_status enum and its array type, so that
// []Status parameters (status = ANY($1)) encode. A database without them is not migrated, and
// nothing would work on it: the connection is refused with ErrNoSchema.
func registerTypes(ctx context.Context, conn *pgx.Conn) error {
	types, err := conn.LoadTypes(ctx, []string{"photo_status", "_photo_status"})
	if err != nil {
		return fmt.Errorf("load photo_status type: %w", err)
	}
	if len(types) == 0 {
		return ErrNoSchema
	}
	conn.TypeMap().RegisterTypes(types)
	return nil
}

// Close closes every connection, waiting for those in use to be released.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that Postgres answers and has the schema.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Stat reports the pool's connection counts, for a metrics collector.
func (s *Store) Stat() *pgxpool.Stat { return s.pool.Stat() }
