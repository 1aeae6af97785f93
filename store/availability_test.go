package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// Errors that say the database cannot serve the call are marked ErrUnavailable (ErrReadOnly
// when it refuses writes); the others keep their meaning for the caller.
func TestClassify(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name            string
		err             error
		unavailable, ro bool
	}{
		{"read-only transaction", pg("25006"), true, true},
		{"terminated by an administrator", pg("57P01"), true, false},
		{"server starting up", pg("57P03"), true, false},
		{"disk full", pg("53100"), true, false},
		{"too many connections", pg("53300"), true, false},
		{"connection failure", pg("08006"), true, false},
		{"I/O error", pg("58030"), true, false},
		{"statement cancelled", pg("57014"), true, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), true, false},
		{"connection reset", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, true, false},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, false},
		{"connect", &pgconn.ConnectError{}, true, false},
		{"no schema", store.ErrNoSchema, true, false},
		{"unique violation", pg("23505"), false, false},
		{"undefined column", pg("42703"), false, false},
		{"not found", store.ErrNotFound, false, false},
		{"caller cancelled", fmt.Errorf("query: %w", context.Canceled), false, false},
	}
	for _, tt := range tests {
		got := store.Classify(tt.err)
		if errors.Is(got, store.ErrUnavailable) != tt.unavailable || errors.Is(got, store.ErrReadOnly) != tt.ro {
			t.Errorf("%s: %v: unavailable %v, read-only %v; want %v, %v", tt.name, got,
				errors.Is(got, store.ErrUnavailable), errors.Is(got, store.ErrReadOnly), tt.unavailable, tt.ro)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("%s: %v no longer wraps %v", tt.name, got, tt.err)
		}
	}
}

// A Postgres that accepts connections and then never answers (packets dropped, a hung
// server) fails every call with ErrUnavailable once Config.Timeout has passed, instead of
// holding it for the TCP timeout.
func TestCallsFailWhenPostgresStopsAnswering(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	cfg := store.DefaultConfig()
	cfg.URI = "postgres://postgres@" + addr + "/photoproc?sslmode=disable"
	cfg.Timeout = 200 * time.Millisecond
	s, err := store.Open(t.Context(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	calls := map[string]func(context.Context) error{
		"Ping":      s.Ping,
		"PingWrite": s.PingWrite,
		"Claim": func(ctx context.Context) error {
			_, _, err := s.Claim(ctx, uuid.New(), store.ClaimOpts{Lease: time.Minute, MaxAttempts: 1})
			return err
		},
		"Complete": func(ctx context.Context) error {
			return s.Complete(ctx, uuid.New(), store.Thumbnail{Width: 1, Height: 1, Size: 1, URL: "x.jpg"})
		},
		"Photos": func(ctx context.Context) error { _, err := s.Photos(ctx, []uuid.UUID{uuid.New()}); return err },
	}
	for name, call := range calls {
		// The test's own context has no deadline of its own that could fire first.
		if err := call(context.Background()); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with a silent Postgres = %v, want ErrUnavailable", name, err)
		}
	}
}

// silentServer accepts TCP connections and reads from them without ever answering, until the
// test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { _, _ = io.Copy(io.Discard, c) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// A database that answers but refuses writes gives ErrReadOnly for writes and PingWrite, and
// still serves reads and Ping. Once it accepts writes again the same DB writes, with no
// restart: the connections that refused are not used again.
func TestReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, nil)
	storetest.ReadOnly(t, b.uri, true)
	t.Cleanup(func() { storetest.ReadOnly(t, b.uri, false) })
	// A DB opened now gets read-only sessions, as after a failover to a standby.
	cfg := store.DefaultConfig()
	cfg.URI = b.uri
	s, err := store.Open(t.Context(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if err := s.Ping(ctx(t)); err != nil {
		t.Errorf("Ping on a read-only database = %v, want nil: it answers", err)
	}
	if _, err := s.Photos(ctx(t), []uuid.UUID{p.UUID}); err != nil {
		t.Errorf("Photos on a read-only database = %v, want nil: reads work", err)
	}
	if err := s.PingWrite(ctx(t)); !errors.Is(err, store.ErrReadOnly) || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("PingWrite on a read-only database = %v, want ErrReadOnly", err)
	}
	if _, _, err := s.Claim(ctx(t), p.UUID, store.ClaimOpts{Lease: lease, MaxAttempts: 1}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Claim on a read-only database = %v, want ErrReadOnly", err)
	}

	storetest.ReadOnly(t, b.uri, false)
	if err := s.PingWrite(ctx(t)); err != nil {
		t.Fatalf("PingWrite once writes are accepted again = %v, want nil", err)
	}
	if _, res, err := s.Claim(ctx(t), p.UUID, store.ClaimOpts{Lease: lease, MaxAttempts: 1}); err != nil || res != store.ClaimAcquired {
		t.Errorf("Claim once writes are accepted again = %v, %v; want acquired", res, err)
	}
}
