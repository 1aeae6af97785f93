package migrations

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
)

// Migrator applies the embedded migrations to one database connection.
type Migrator struct {
	conn *pgx.Conn
	cfg  Config
	tern *migrate.Migrator
}

// Status is where a database stands.
type Status struct {
	Current int32    // version applied; 0 = none
	Latest  int32    // version of the newest migration
	Pending []string // file names of the migrations not yet applied, in order
}

// NewMigrator loads the embedded migrations and makes sure the version table exists. conn is
// used for every later call and must not be shared meanwhile; a statement that runs past its
// deadline makes pgx close it.
func NewMigrator(ctx context.Context, conn *pgx.Conn, cfg Config) (*Migrator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("migrations config: %w", err)
	}
	m := &Migrator{conn: conn, cfg: cfg}
	// tern creates the version table under the migration lock, with no timeout of its own.
	err := locked(ctx, conn, cfg.LockTimeout, func(ctx context.Context) error {
		var err error
		m.tern, err = migrate.NewMigrator(ctx, conn, cfg.VersionTable)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	if err := m.tern.LoadMigrations(FS()); err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return m, nil
}

// Up applies every pending migration, each in its own transaction.
func (m *Migrator) Up(ctx context.Context) error {
	err := locked(ctx, m.conn, m.cfg.LockTimeout, func(ctx context.Context) error {
		return m.tern.Migrate(ctx)
	})
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down reverts the latest applied migration, and only that one.
func (m *Migrator) Down(ctx context.Context) error {
	err := locked(ctx, m.conn, m.cfg.LockTimeout, func(ctx context.Context) error {
		// Read under the lock, so that a concurrent Down cannot make this one go back two.
		current, err := m.tern.GetCurrentVersion(ctx)
		if err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		if current == 0 {
			return ErrAtZero
		}
		return m.tern.MigrateTo(ctx, current-1)
	})
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Status reports the applied and latest versions and the migrations still to apply.
func (m *Migrator) Status(ctx context.Context) (Status, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.LockTimeout)
	defer cancel()
	current, err := m.tern.GetCurrentVersion(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("migration status: %w", err)
	}
	st := Status{Current: current, Latest: int32(len(m.tern.Migrations))}
	for _, mig := range m.tern.Migrations {
		if mig.Sequence > current {
			st.Pending = append(st.Pending, mig.Name)
		}
	}
	return st, nil
}
