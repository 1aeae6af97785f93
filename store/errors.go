package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrNotFound means no photo has the given uuid.
	ErrNotFound = errors.New("photo not found")
	// ErrNotClaimed means a call made for a claim found the photo no longer held by it: another
	// worker took it over, or it was settled meanwhile. Nothing was changed.
	ErrNotClaimed = errors.New("photo no longer held by this claim")
	// ErrNoSchema means the database lacks photoproc's tables: migrations were not applied.
	ErrNoSchema = errors.New("database schema missing: run `photoproc migrate up`")

	// ErrUnavailable means Postgres did not answer within Config.Timeout, or refused the call
	// for a reason of its own: the connection failed, the server is shutting down or out of
	// disk, memory or connections, or it refuses writes (ErrReadOnly). It says nothing about
	// the photo: the same call may succeed once the database recovers.
	ErrUnavailable = errors.New("database unavailable")
	// ErrReadOnly means Postgres answers but refuses writes: a standby after a failover, or
	// default_transaction_read_only. It matches ErrUnavailable too.
	ErrReadOnly = fmt.Errorf("%w: it refuses writes", ErrUnavailable)
)

// classify marks an error of a database call with ErrReadOnly or ErrUnavailable when it is
// one; others (no such row, a constraint, a bug) are returned as they are. A caller's
// cancellation is not unavailability: the caller gave up.
func classify(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrUnavailable), errors.Is(err, context.Canceled):
		return err
	case readOnly(err):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	case unavailable(err):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func readOnly(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "25006" // read_only_sql_transaction
}

func unavailable(err error) bool {
	var (
		pgErr   *pgconn.PgError
		connErr *pgconn.ConnectError
		netErr  net.Error
	)
	if errors.As(err, &connErr) {
		return true // whatever the server said: refused, not accepting connections, starting up
	}
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code[:2] == "08", // connection exception
			code[:2] == "53",                                  // insufficient resources: disk full, out of memory, too many connections
			code[:2] == "58",                                  // system error: I/O
			code == "57P01", code == "57P02", code == "57P03", // shutting down, crashed, starting up
			code == "57014": // statement cancelled (our deadline's cancel request)
			return true
		}
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, ErrNoSchema) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}
