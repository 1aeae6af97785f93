package store_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  store.Config
		want []string // substrings of the error; none = valid
	}{
		{"defaults", store.DefaultConfig(), nil},
		{"zero pool size means default", store.Config{URI: "postgres://h/db"}, nil},
		{"keyword form", store.Config{URI: "host=localhost dbname=photoproc"}, nil},
		{"empty URI", store.Config{}, []string{"postgres URI: empty"}},
		{"bad URI", store.Config{URI: "postgres://h:notaport/db"}, []string{"postgres URI"}},
		{"negative pool", store.Config{URI: "postgres://h/db", MaxConns: -1}, []string{"max connections"}},
		{"all at once", store.Config{MaxConns: -2}, []string{"postgres URI", "max connections"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors about %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestValidateHidesPassword(t *testing.T) {
	t.Parallel()
	err := store.Config{URI: "postgres://u:s3cret@h:notaport/db"}.Validate()
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Validate() = %v, want an error without the password", err)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := store.Open(t.Context(), store.Config{URI: "postgres://h:notaport/db"}, discard()); err == nil {
		t.Fatal("Open with a bad URI succeeded")
	}
}

// TestOpenIsLazy checks that Open succeeds with the database down, and that the failure then
// shows as a connection error callers can recognise.
func TestOpenIsLazy(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback refuses at once.
	s, err := store.Open(t.Context(), store.Config{URI: "postgres://postgres@127.0.0.1:1/photoproc?sslmode=disable&connect_timeout=5"}, discard())
	if err != nil {
		t.Fatalf("Open with the database down: %v", err)
	}
	defer s.Close()
	err = s.Ping(ctx(t))
	var connErr *pgconn.ConnectError
	if !errors.As(err, &connErr) {
		t.Fatalf("Ping with the database down = %v, want a *pgconn.ConnectError", err)
	}
}

func TestOpenUnmigrated(t *testing.T) {
	t.Parallel()
	cfg := store.DefaultConfig()
	cfg.URI = storetest.EmptyDatabase(t)
	s, err := store.Open(t.Context(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx(t)); !errors.Is(err, store.ErrNoSchema) {
		t.Fatalf("Ping on a database without the schema = %v, want ErrNoSchema", err)
	}
}

func TestOpenReady(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.s.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if st := b.s.Stat(); st.TotalConns() < 1 || st.MaxConns() != store.DefaultMaxConns {
		t.Errorf("Stat: %d connections of max %d, want at least 1 of %d", st.TotalConns(), st.MaxConns(), store.DefaultMaxConns)
	}
	var app string
	if err := b.db.QueryRow(ctx(t), "SELECT current_setting('application_name')").Scan(&app); err != nil || app != "photoproc" {
		t.Errorf("application_name = %q, %v; want photoproc", app, err)
	}
}

// TestEnumArray checks that the photo_status enum and its array type are registered, so that
// []store.Status parameters work.
func TestEnumArray(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, st := range []store.Status{store.StatusPending, store.StatusFailed, store.StatusFailed, store.StatusCompleted} {
		b.photo(t, &storetest.PhotoOpts{Status: st})
	}
	var n int
	err := b.db.QueryRow(ctx(t), `SELECT count(*) FROM photos WHERE status = ANY($1)`,
		[]store.Status{store.StatusFailed, store.StatusCompleted}).Scan(&n)
	if err != nil {
		t.Fatalf("status = ANY([]store.Status): %v", err)
	}
	if n != 3 {
		t.Errorf("count = %d, want 3", n)
	}
	var all []store.Status
	if err := b.db.QueryRow(ctx(t), `SELECT enum_range(NULL::photo_status)`).Scan(&all); err != nil {
		t.Fatalf("scan photo_status[]: %v", err)
	}
	if got, want := strings.Join(statusStrings(all), ","), strings.Join(statusStrings(store.Statuses()), ","); got != want {
		t.Errorf("enum values = %s, want Statuses() = %s", got, want)
	}
}

func statusStrings(ss []store.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
