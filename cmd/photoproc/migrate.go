package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/photoproc/photoproc/migrations"
)

func cmdMigrate(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("migrate")
	dir := fs.String("dir", "migrations", "folder `new` writes the migration file into")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: photoproc migrate up|down|status|new NAME  (database from PG_CONNECTION_URI or --pg-uri)")
		fs.PrintDefaults()
	}
	cfg, err := e.config(fs, args)
	if err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return errUsage
	}
	if rest[0] == "new" {
		if len(rest) != 2 {
			return errors.New("usage: photoproc migrate new NAME")
		}
		path, err := migrations.New(*dir, rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "created", path)
		return nil
	}
	if len(rest) != 1 {
		fs.Usage()
		return errUsage
	}

	conn, err := connectCreating(ctx, cfg.Store.URI, rest[0] == "up", e)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	m, err := migrations.NewMigrator(ctx, conn, migrations.DefaultConfig())
	if err != nil {
		return err
	}
	switch rest[0] {
	case "up":
		if err := m.Up(ctx); err != nil {
			return err
		}
	case "down":
		if err := m.Down(ctx); err != nil {
			return err
		}
	case "status":
	default:
		fs.Usage()
		return errUsage
	}
	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database at version %d of %d", st.Current, st.Latest)
	if len(st.Pending) > 0 {
		fmt.Fprintf(e.stdout, "; pending: %s", strings.Join(st.Pending, ", "))
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// connectCreating connects to the database in uri. When it does not exist and create is set
// (migrate up), it creates it first, so a fresh server needs no manual step.
func connectCreating(ctx context.Context, uri string, create bool, e *cliEnv) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, uri)
	var pgErr *pgconn.PgError
	if err == nil || !create || !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		if err != nil {
			return nil, fmt.Errorf("connect to Postgres: %w", err)
		}
		return conn, nil
	}
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		return nil, err
	}
	name := cfg.Database
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("database %q does not exist; create it (createdb %s) and run again", name, name)
	}
	u.Path = "/postgres"
	admin, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("database %q does not exist, and connecting to create it failed: %w", name, err)
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	admin.Close(context.Background())
	if err != nil {
		return nil, fmt.Errorf("create database %q: %w", name, err)
	}
	fmt.Fprintf(e.stderr, "created database %q\n", name)
	conn, err = pgx.Connect(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("connect to Postgres: %w", err)
	}
	return conn, nil
}
