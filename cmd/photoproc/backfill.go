package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/store"
)

// cmdBackfill queues the completed photos that lack a thumbnail the settings ask for
// (PHOTOPROC_THUMBNAIL_SIZES × PHOTOPROC_THUMBNAIL_FORMATS), so that the workers make what
// each lacks. It reads the daemon's settings, talks to Postgres and RabbitMQ itself (a walk
// through millions of photos is no request to make of the API), and queues through enqueue,
// as PUT /photos/backfill does.
func cmdBackfill(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("backfill")
	batch := fs.Int("batch", 1000, "completed photos looked at per page (1-1000)")
	cfg, err := e.config(fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *batch < 1 || *batch > enqueue.MaxBatch {
		return fmt.Errorf("--batch must be from 1 to %d", enqueue.MaxBatch)
	}
	log := daemon.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	st, err := store.Open(ctx, cfg.Store, log)
	if err != nil {
		return err
	}
	defer st.Close()
	pub, err := queue.NewPublisher(cfg.Queue, log)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = pub.Close(ctx)
	}()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pub.WaitConnected(wait); err != nil {
		return fmt.Errorf("connect to the broker: %w", err)
	}
	wanted := store.Variants(cfg.Imaging.Boxes(), cfg.Imaging.Formats)
	q, err := enqueue.New(enqueue.Config{LostRetryAfter: cfg.Pool.Lease, Wanted: wanted}, st, pub, nil)
	if err != nil {
		return err
	}
	b := &backfiller{pages: st, queuer: q, progress: newProgress(e.stderr, time.Now)}
	sum, err := b.run(ctx, *batch, wanted)
	sum.print(e.stdout)
	return err
}

// backfiller walks the completed photos page by page and queues those that lack a thumbnail.
type backfiller struct {
	pages interface {
		LackingPage(ctx context.Context, after uuid.UUID, limit int, wanted []store.Variant) (store.BackfillPage, error)
	}
	queuer   *enqueue.Queuer
	progress *progress
}

func (b *backfiller) run(ctx context.Context, batch int, wanted []store.Variant) (summary, error) {
	sum := summary{of: "completed photos"}
	for after := uuid.Nil; ; {
		page, err := b.pages.LackingPage(ctx, after, batch, wanted)
		if err != nil {
			return sum, err
		}
		if len(page.Lacking) > 0 {
			res, err := b.queue(ctx, page.Lacking)
			if err != nil {
				return sum, fmt.Errorf("queue photos after %s: %w", after, err)
			}
			sum.queued += len(res.Queued)
			sum.skipped += len(res.Skipped)
		}
		sum.seen += page.Scanned
		b.progress.update(sum)
		if page.Scanned < batch {
			break
		}
		after = page.Last
	}
	b.progress.done(sum)
	return sum, nil
}

// queue queues ids, less those deleted since they were read.
func (b *backfiller) queue(ctx context.Context, ids []uuid.UUID) (enqueue.Result, error) {
	res, err := b.queuer.Backfill(ctx, ids)
	var unknown *enqueue.UnknownPhotosError
	if !errors.As(err, &unknown) {
		return res, err
	}
	ids = slices.DeleteFunc(ids, func(id uuid.UUID) bool {
		return slices.ContainsFunc(unknown.Photos, func(u enqueue.Unknown) bool { return u.UUID == id })
	})
	if len(ids) == 0 {
		return enqueue.Result{}, nil
	}
	return b.queuer.Backfill(ctx, ids)
}
