package storetest_test

import (
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/migrations"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDatabaseDroppedAfterTest checks that a test's database exists during the test, is
// migrated, and is gone after it, even with a connection left open.
func TestDatabaseDroppedAfterTest(t *testing.T) {
	t.Parallel()
	testkit.NeedServices(t, "Postgres")
	var name string
	t.Run("user", func(t *testing.T) {
		uri := storetest.NewDatabase(t)
		conn, err := pgx.Connect(t.Context(), uri)
		if err != nil {
			t.Fatal(err)
		}
		// Left open on purpose: the drop must not be stopped by it. Closed after the drop.
		t.Cleanup(func() { conn.Close(t.Context()) })
		var version int
		if err := conn.QueryRow(t.Context(), "SELECT current_database(), version FROM schema_version").Scan(&name, &version); err != nil {
			t.Fatal(err)
		}
		if latest, _ := fs.Glob(migrations.FS(), "*.sql"); version != len(latest) {
			t.Errorf("schema version = %d, want the latest, %d", version, len(latest))
		}
	})
	admin, err := pgx.Connect(t.Context(), storetest.AdminURI())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(t.Context())
	var exists bool
	if err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test", name)
	}
}

func TestPhotoDefaults(t *testing.T) {
	t.Parallel()
	_, uri := storetest.NewStore(t)
	db := storetest.Pool(t, uri)
	tests := []struct {
		opts       *storetest.PhotoOpts
		want       store.Status
		wantReason bool
		attempts   int
	}{
		{nil, store.StatusPending, false, 0},
		{&storetest.PhotoOpts{Status: store.StatusProcessing}, store.StatusProcessing, false, 1},
		{&storetest.PhotoOpts{Status: store.StatusFailed}, store.StatusFailed, true, 1},
		{&storetest.PhotoOpts{Status: store.StatusCompleted, URL: "https://x.example/a.jpg"}, store.StatusCompleted, false, 1},
	}
	for _, tt := range tests {
		p := storetest.Photo(t.Context(), t, db, tt.opts)
		if p.Status != tt.want || (p.FailureReason != "") != tt.wantReason || p.Attempts != tt.attempts || p.URL == "" {
			t.Errorf("Photo(%+v) = %+v", tt.opts, p)
		}
	}
}
