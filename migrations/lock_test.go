package migrations_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"

	"github.com/photoproc/photoproc/migrations"
	"github.com/photoproc/photoproc/store/storetest"
)

// holdLock takes the migration lock on a connection of its own, as a stuck migration would,
// and returns a function that releases it. It returns the holder's backend pid.
func holdLock(t *testing.T, uri string) (pid uint32, release func()) {
	t.Helper()
	holder := connect(t, uri)
	if _, err := holder.Exec(ctx(t), "SELECT pg_advisory_lock($1)", migrations.LockKey); err != nil {
		t.Fatalf("hold lock: %v", err)
	}
	return holder.PgConn().PID(), func() {
		if _, err := holder.Exec(ctx(t), "SELECT pg_advisory_unlock($1)", migrations.LockKey); err != nil {
			t.Fatalf("release lock: %v", err)
		}
	}
}

func TestLockTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(*migrations.Migrator, context.Context) error
	}{
		{"up", (*migrations.Migrator).Up},
		{"down", (*migrations.Migrator).Down},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			short := migrator(t, b.conn, shortLock())
			if tt.name == "down" {
				if err := b.m.Up(ctx(t)); err != nil {
					t.Fatal(err)
				}
			}
			before, err := b.m.Status(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			pid, release := holdLock(t, b.uri)

			err = tt.run(short, ctx(t))
			if !errors.Is(err, migrations.ErrLockTimeout) {
				t.Fatalf("%s while another session holds the lock = %v, want ErrLockTimeout", tt.name, err)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), "pid "+strconv.Itoa(int(pid))) {
				t.Errorf("error %q does not name the holder, pid %d", err, pid)
			}
			if after, err := b.m.Status(ctx(t)); err != nil || after.Current != before.Current {
				t.Fatalf("after the timeout: Status() = %+v, %v; want version %d unchanged", after, err, before.Current)
			}

			// The connection survives the timeout with its settings restored, and the lock is
			// not left taken.
			var setting string
			if err := b.conn.QueryRow(ctx(t), "SHOW lock_timeout").Scan(&setting); err != nil || setting != "0" {
				t.Errorf("lock_timeout after the timeout = %q, %v; want 0", setting, err)
			}
			release()
			if err := tt.run(b.m, ctx(t)); err != nil {
				t.Fatalf("%s once the lock is free: %v", tt.name, err)
			}
			var free bool
			if err := connect(t, b.uri).QueryRow(ctx(t), "SELECT pg_try_advisory_lock($1)", migrations.LockKey).Scan(&free); err != nil || !free {
				t.Fatalf("after %s: lock free = %v, %v; want it released", tt.name, free, err)
			}
		})
	}
}

func TestNewMigratorLockTimeout(t *testing.T) {
	t.Parallel()
	uri := storetest.EmptyDatabase(t)
	_, release := holdLock(t, uri)
	defer release()
	_, err := migrations.NewMigrator(ctx(t), connect(t, uri), shortLock())
	if !errors.Is(err, migrations.ErrLockTimeout) {
		t.Fatalf("NewMigrator while another session holds the lock = %v, want ErrLockTimeout", err)
	}
}

// TestLockKeyIsTerns checks that LockKey is the key tern itself takes, by looking at pg_locks
// from another session while tern runs a migration.
func TestLockKeyIsTerns(t *testing.T) {
	t.Parallel()
	uri := storetest.EmptyDatabase(t)
	conn, observer := connect(t, uri), connect(t, uri)
	tm, err := migrate.NewMigrator(ctx(t), conn, "schema_version")
	if err != nil {
		t.Fatal(err)
	}
	tm.AppendMigration("probe", "SELECT 1", "")
	var holders []uint32
	tm.OnStart = func(int32, string, string, string) {
		rows, err := observer.Query(ctx(t), `
SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 1
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid`, migrations.LockKey)
		if err == nil {
			holders, err = pgx.CollectRows(rows, pgx.RowTo[uint32])
		}
		if err != nil {
			t.Errorf("read pg_locks: %v", err)
		}
	}
	if err := tm.Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if len(holders) != 1 || holders[0] != conn.PgConn().PID() {
		t.Fatalf("sessions holding LockKey while tern migrates = %v, want tern's (pid %d): tern's lock key changed", holders, conn.PgConn().PID())
	}
}

// TestMigrationDeadline checks that a migration blocked by a table lock fails after
// LockTimeout, rather than hanging with every other query queued behind it.
func TestMigrationDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	migrateTo(t, b, 1)

	// An open transaction holding photos stops 002's ALTER TABLE.
	blocker, err := connect(t, b.uri).Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(context.Background())
	if _, err := blocker.Exec(ctx(t), "LOCK TABLE photos IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	err = migrator(t, b.conn, shortLock()).Up(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "waited more than 200ms for a table lock") {
		t.Fatalf("Up blocked by a table lock = %v, want a deadline error", err)
	}
	t.Logf("error: %v", err)
	if errors.Is(err, migrations.ErrLockTimeout) {
		t.Errorf("Up blocked by a table lock = %v, must not blame the migration lock", err)
	}
}
