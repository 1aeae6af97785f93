package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the daemon's access to Postgres. It is safe for concurrent use.
type DB struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	timeout time.Duration
}

// Open builds the connection pool. It connects lazily, so it succeeds while the database is
// down; a bad configuration or URI fails here.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*DB, error) {
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
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &DB{pool: pool, log: logger, timeout: timeout}, nil
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
func (s *DB) Close() { s.pool.Close() }

// Ping checks that Postgres answers and has the schema; it may still refuse writes.
func (s *DB) Ping(ctx context.Context) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", s.fail(err))
	}
	return nil
}

// PingWrite checks that Postgres accepts writes, with an UPDATE that changes no row:
// ErrReadOnly when it answers but refuses them.
func (s *DB) PingWrite(ctx context.Context) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `UPDATE photos SET status = status WHERE false`); err != nil {
		return fmt.Errorf("write to postgres: %w", s.fail(err))
	}
	return nil
}

// call bounds one call to the database by Config.Timeout.
func (s *DB) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// fail classifies the error of a call (see classify). A connection that refuses writes is
// not used again: after a failover behind the same address, or once the setting is lifted,
// a new connection writes again, while the old one would refuse writes for as long as it lives.
func (s *DB) fail(err error) error {
	err = classify(err)
	if errors.Is(err, ErrReadOnly) {
		s.pool.Reset()
	}
	return err
}

// Stat reports the pool's connection counts, for a metrics collector.
func (s *DB) Stat() *pgxpool.Stat { return s.pool.Stat() }
