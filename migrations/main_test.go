package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/photoproc/photoproc/migrations"
	"github.com/photoproc/photoproc/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bundle is what most tests need: an empty database, a connection to it and a migrator with
// the default configuration.
type bundle struct {
	uri  string
	conn *pgx.Conn
	m    *migrations.Migrator
}

func setup(t *testing.T) *bundle {
	t.Helper()
	uri := storetest.EmptyDatabase(t)
	conn := connect(t, uri)
	return &bundle{uri: uri, conn: conn, m: migrator(t, conn, migrations.DefaultConfig())}
}

func migrator(t *testing.T, conn *pgx.Conn, cfg migrations.Config) *migrations.Migrator {
	t.Helper()
	m, err := migrations.NewMigrator(ctx(t), conn, cfg)
	if err != nil {
		t.Fatalf("NewMigrator: %v", err)
	}
	return m
}

func connect(t *testing.T, uri string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx(t), uri)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ctx bounds one test's database calls, so that a hang fails the test instead of the run.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// shortLock is the configuration of tests that expect a timeout. Only calls expected to time
// out use it, so that a slow machine cannot fail the others.
func shortLock() migrations.Config {
	cfg := migrations.DefaultConfig()
	cfg.LockTimeout = 200 * time.Millisecond
	return cfg
}
