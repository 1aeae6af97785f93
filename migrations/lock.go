package migrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// LockKey is the Postgres advisory lock key tern takes while it migrates (tern's lockNum). An
// operator finds the session holding it with
//
//	SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 2241733 AND objid = 3628731256;
//
// A Migrator takes the same lock first, with a timeout; tern's own request then succeeds at
// once because advisory locks are re-entrant within a session.
const LockKey int64 = 9628173550095224

// lockGrace is how much longer than the server-side lock_timeout the client waits before giving
// up on an unanswering server.
const lockGrace = 5 * time.Second

// locked runs fn holding the migration lock. Every lock wait in the session — for the
// migration lock and for the tables a migration alters — is bounded by timeout through
// lock_timeout, so a migration queued behind a long transaction fails instead of stalling every
// query behind its own lock request. The migration's run time is not bounded: building an
// index on a big table may take as long as it takes.
func locked(ctx context.Context, conn *pgx.Conn, timeout time.Duration, fn func(context.Context) error) (err error) {
	if err := acquire(ctx, conn, timeout); err != nil {
		return err
	}
	defer func() {
		// A broken connection has lost its session, and with it the lock and the setting.
		if conn.IsClosed() {
			return
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockGrace)
		defer cancel()
		_, rerr := conn.Exec(uctx, "RESET lock_timeout")
		_, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", LockKey)
		if err == nil {
			err = errors.Join(rerr, uerr)
		}
	}()
	err = fn(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
		return fmt.Errorf("waited more than %s for a table lock another session holds (look in pg_locks), so nothing was changed: %w", timeout, err)
	}
	return err
}

// acquire sets lock_timeout for the session and takes the migration lock, waiting at most
// timeout. The wait is bounded on the server, so the connection stays usable to name the
// holder when it runs out.
func acquire(ctx context.Context, conn *pgx.Conn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout+lockGrace)
	defer cancel()
	if _, err := conn.Exec(ctx, "SELECT set_config('lock_timeout', $1, false)", fmt.Sprintf("%dms", timeout.Milliseconds())); err != nil {
		return fmt.Errorf("set lock timeout: %w", err)
	}
	_, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", LockKey)
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
		err = fmt.Errorf("%w after %s: %s", ErrLockTimeout, timeout, holder(ctx, conn))
	} else {
		err = fmt.Errorf("take migration lock: %w", err)
	}
	if _, rerr := conn.Exec(ctx, "RESET lock_timeout"); rerr != nil {
		err = errors.Join(err, fmt.Errorf("reset lock timeout: %w", rerr))
	}
	return err
}

// holder describes the session holding the migration lock, as far as it can be seen.
func holder(ctx context.Context, conn *pgx.Conn) string {
	const q = `
SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local')
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1
LIMIT 1`
	var (
		pid       int32
		app, addr string
	)
	if err := conn.QueryRow(ctx, q, LockKey).Scan(&pid, &app, &addr); err != nil {
		return "another migration holds it"
	}
	who := fmt.Sprintf("pid %d from %s", pid, addr)
	if app != "" {
		who += fmt.Sprintf(", application %q", app)
	}
	return "another migration holds it (" + who + ")"
}
