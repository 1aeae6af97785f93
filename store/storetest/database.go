package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/migrations"
)

// EnvAdminURI names the variable holding the admin database URI.
const EnvAdminURI = "PHOTOPROC_TEST_PG_URI"

// DefaultAdminURI is used when EnvAdminURI is unset.
const DefaultAdminURI = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// setupTimeout bounds creating, migrating or dropping one database.
const setupTimeout = 30 * time.Second

// AdminURI is the URI of the database that test databases are created and dropped from.
func AdminURI() string {
	if uri := os.Getenv(EnvAdminURI); uri != "" {
		return uri
	}
	return DefaultAdminURI
}

// EmptyDatabase creates a database with no tables, photoproc_test_<random>, dropped when the
// test ends, and returns its URI.
func EmptyDatabase(tb testing.TB) string {
	tb.Helper()
	testkit.NeedServices(tb, "Postgres")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	name := "photoproc_test_" + randomSuffix(tb)
	// template0 accepts no connections, so concurrent creations never find it "being accessed
	// by other users" as they can template1.
	adminExec(ctx, tb, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0")
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		// FORCE ends sessions a test left open, e.g. after a failed assertion.
		adminExec(ctx, tb, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	return withDatabase(tb, AdminURI(), name)
}

// NewDatabase is EmptyDatabase migrated to the latest version.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	uri := EmptyDatabase(tb)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, uri)
	if err != nil {
		tb.Fatalf("storetest: connect to test database: %v", err)
	}
	defer conn.Close(context.Background())
	m, err := migrations.NewMigrator(ctx, conn, migrations.DefaultConfig())
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	if err := m.Up(ctx); err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	return uri
}

func adminExec(ctx context.Context, tb testing.TB, sql string) {
	tb.Helper()
	conn, err := pgx.Connect(ctx, AdminURI())
	if err != nil {
		tb.Fatalf("storetest: connect to admin database (%s=%s): %v", EnvAdminURI, AdminURI(), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("storetest: %s: %v", sql, err)
	}
}

func randomSuffix(tb testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("storetest: random name: %v", err)
	}
	return hex.EncodeToString(b)
}

// withDatabase returns uri with its database replaced by name, for URL and keyword/value forms.
func withDatabase(tb testing.TB, uri, name string) string {
	if !strings.HasPrefix(uri, "postgres://") && !strings.HasPrefix(uri, "postgresql://") {
		return uri + " dbname=" + name // a later keyword overrides an earlier one
	}
	u, err := url.Parse(uri)
	if err != nil {
		tb.Fatalf("storetest: %s: %v", EnvAdminURI, err)
	}
	u.Path = "/" + name
	return u.String()
}

// ReadOnly makes new sessions on the database of uri refuse writes (on) or accept them again
// (off), as a standby after a failover or a database set default_transaction_read_only does.
// Sessions already open keep the setting they started with. Only the test's own database may
// be given: the setting never touches the server or another test's database.
func ReadOnly(tb testing.TB, uri string, on bool) {
	tb.Helper()
	testkit.NeedServices(tb, "Postgres")
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	if !strings.HasPrefix(cfg.Database, "photoproc_test_") {
		tb.Fatalf("storetest: ReadOnly on %q, which is not a test database", cfg.Database)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	sql := "ALTER DATABASE " + pgx.Identifier{cfg.Database}.Sanitize() + " RESET default_transaction_read_only"
	if on {
		sql = "ALTER DATABASE " + pgx.Identifier{cfg.Database}.Sanitize() + " SET default_transaction_read_only = on"
	}
	adminExec(ctx, tb, sql)
}
