package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says how to reach Postgres.
type Config struct {
	// URI is the Postgres connection URI (PG_CONNECTION_URI). Default
	// postgres://postgres@127.0.0.1:5432/photoproc?sslmode=disable.
	URI string
	// MaxConns is the most connections the pool opens, a count. Default 10; 0 means default.
	MaxConns int32
}

// DefaultMaxConns is the pool size when Config.MaxConns is 0.
const DefaultMaxConns int32 = 10

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		URI:      "postgres://postgres@127.0.0.1:5432/photoproc?sslmode=disable",
		MaxConns: DefaultMaxConns,
	}
}

// Validate reports every problem at once. It parses the URI but does not connect.
func (c Config) Validate() error {
	var errs []error
	if c.URI == "" {
		errs = append(errs, errors.New("postgres URI: empty"))
	} else if _, err := pgxpool.ParseConfig(c.URI); err != nil {
		// pgx redacts the password in its parse errors.
		errs = append(errs, fmt.Errorf("postgres URI: %w", err))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max connections %d: must not be negative", c.MaxConns))
	}
	return errors.Join(errs...)
}
