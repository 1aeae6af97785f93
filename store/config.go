package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/photoproc/photoproc/internal/field"
)

// Config says how to reach Postgres.
type Config struct {
	// URI is the Postgres connection URI (PG_CONNECTION_URI). Default
	// postgres://postgres@127.0.0.1:5432/photoproc?sslmode=disable.
	URI string
	// MaxConns is the most connections the pool opens, a count. Default 10; 0 means default.
	MaxConns int32
	// Timeout bounds every call, from waiting for a connection to the last row or the commit;
	// default 10s. A Postgres that stops answering (a network that drops packets, a hung
	// server) then fails the call with ErrUnavailable instead of holding it for the TCP
	// timeout, minutes later. 0 means default.
	Timeout time.Duration
}

// Defaults for the fields where 0 means default.
const (
	DefaultMaxConns int32 = 10
	DefaultTimeout        = 10 * time.Second
)

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		URI:      "postgres://postgres@127.0.0.1:5432/photoproc?sslmode=disable",
		MaxConns: DefaultMaxConns,
		Timeout:  DefaultTimeout,
	}
}

// Validate reports every problem at once. It parses the URI but does not connect.
func (c Config) Validate() error {
	var errs []error
	// The URI is never shown: it may hold a password. pgx redacts it in its parse errors.
	if c.URI == "" {
		errs = append(errs, field.Invalid("URI", "postgres URI", nil, "empty"))
	} else if _, err := pgxpool.ParseConfig(c.URI); err != nil {
		errs = append(errs, field.Invalid("URI", "postgres URI", nil, "%v", err))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max connections %d: must not be negative", c.MaxConns))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: must not be negative", c.Timeout))
	}
	return errors.Join(errs...)
}
