package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/demo"
	"github.com/photoproc/photoproc/migrations"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// cmdDemo shows the whole system on bundled photos: it migrates the database, serves the
// samples on loopback, runs the daemon, loads the samples as pending photos, queues them
// through the API as submit-pending would, reports what became of each, and keeps the daemon
// running until interrupted.
func cmdDemo(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("demo")
	cfg, err := e.config(fs, args)
	if err != nil {
		return err
	}
	// The samples are served from 127.0.0.1, which the downloader refuses by default.
	cfg.Fetch.AllowPrivate = true
	log := daemon.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)

	if err := migrateUp(ctx, cfg, e); err != nil {
		return err
	}
	samples, err := demo.Start()
	if err != nil {
		return err
	}
	defer samples.Close()

	started := make(chan daemon.Addrs, 1)
	served := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { served <- daemon.Serve(runCtx, cfg, log, func(a daemon.Addrs) { started <- a }) }()
	var addrs daemon.Addrs
	select {
	case addrs = <-started:
	case err := <-served:
		return err
	}

	ids, err := insertSamples(ctx, cfg, samples.Photos())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nloaded %d sample photos as pending; queueing them through the API…\n", len(ids))
	apiURL, adminURL := browsable(addrs.HTTP), browsable(addrs.Admin)
	sub := &submitter{http: httpClient(), base: apiURL, e: e, progress: newProgress(e.stderr, time.Now)}
	if _, err := sub.run(ctx, 100); err != nil {
		return err
	}
	if err := reportDemo(ctx, cfg, ids, apiURL, e); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nThe daemon keeps running. API %s (docs at %s/docs) · admin page %s · Ctrl-C to stop.\n", apiURL, apiURL, adminURL)
	return <-served
}

func migrateUp(ctx context.Context, cfg daemon.Config, e *cliEnv) error {
	conn, err := connectCreating(ctx, cfg.Store.URI, true, e)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	m, err := migrations.NewMigrator(ctx, conn, migrations.DefaultConfig())
	if err != nil {
		return err
	}
	return m.Up(ctx)
}

func insertSamples(ctx context.Context, cfg daemon.Config, photos []demo.Photo) ([]uuid.UUID, error) {
	st, err := store.Open(ctx, cfg.Store, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var ids []uuid.UUID
	for _, p := range photos {
		row, err := st.InsertPhoto(ctx, p.URL)
		if err != nil {
			return nil, fmt.Errorf("insert sample photo: %w", err)
		}
		ids = append(ids, row.UUID)
	}
	return ids, nil
}

// reportDemo waits until every sample is completed or failed, then prints one line each.
func reportDemo(ctx context.Context, cfg daemon.Config, ids []uuid.UUID, apiURL string, e *cliEnv) error {
	st, err := store.Open(ctx, cfg.Store, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		photos, err := st.Photos(ctx, ids)
		if err != nil {
			return err
		}
		if done(photos) {
			fmt.Fprintln(e.stdout)
			for _, id := range ids {
				p := photos[id]
				switch p.Status {
				case store.StatusCompleted:
					fmt.Fprintf(e.stdout, "  completed  %s  → %s  (%s/photos/%s/thumbnail)\n", p.URL,
						thumbnailLocation(cfg.ThumbStore, cfg.Imaging.Size, id), apiURL, id)
				default:
					fmt.Fprintf(e.stdout, "  %-9s  %s  — %s\n", p.Status, p.URL, p.FailureReason)
				}
			}
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the samples were not all processed within 2 minutes: see the log above")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func done(photos map[uuid.UUID]store.Photo) bool {
	for _, p := range photos {
		if p.Status != store.StatusCompleted && p.Status != store.StatusFailed {
			return false
		}
	}
	return true
}

// browsable turns a bound listen address into a URL a person can open: a wildcard host
// (":3000", "[::]:3000") becomes localhost.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// thumbnailLocation is where the demo's thumbnail of photo id is: a file, or a key in the bucket.
func thumbnailLocation(cfg thumbstore.Config, box int, id uuid.UUID) string {
	name := thumbstore.Key(id, box, "jpeg", true)
	if cfg.Backend() == thumbstore.BackendS3 {
		return strings.TrimSuffix(cfg.Location, "/") + "/" + name
	}
	return filepath.Join(cmp.Or(cfg.Location, cfg.Dir), name)
}
