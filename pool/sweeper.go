package pool

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/metrics"
)

// Publisher queues photos again.
type Publisher interface {
	Publish(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error)
	// Waiting is the number of messages ready in the work queue.
	Waiting(ctx context.Context) (int, error)
}

// SweepStore finds photos whose message is gone.
type SweepStore interface {
	ExpiredLeases(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error)
	LostRetries(ctx context.Context, grace time.Duration, limit int) ([]uuid.UUID, error)
}

// sweepBatch bounds one sweep; a bigger backlog is taken over several sweeps.
const sweepBatch = 500

// Sweep queues again, every cfg.SweepInterval until ctx ends, the photos whose message is
// gone — lost with a broker that was not durable, purged by hand, dead-lettered by a quorum
// queue's delivery limit:
//   - photos left in processing past their lease (the lease of a photo in flight is kept
//     alive, so no worker is behind them). ExpiredLeases pushes each lease forward as it
//     returns it, so several daemons never requeue the same photo at once.
//   - photos whose retry was due a lease ago and has not come. Only while the work queue is
//     empty: a retry due long ago may be waiting behind a backlog, and queueing it twice would
//     only cost a claim, but queueing every waiting retry again on every sweep of a long
//     backlog would multiply the messages.
func Sweep(ctx context.Context, cfg Config, st SweepStore, pub Publisher, m *metrics.Metrics, log *slog.Logger) {
	log = log.With("component", "sweeper")
	t := time.NewTicker(cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sweep(ctx, cfg, st, pub, m, log)
	}
}

func sweep(ctx context.Context, cfg Config, st SweepStore, pub Publisher, m *metrics.Metrics, log *slog.Logger) {
	if ids, err := st.ExpiredLeases(ctx, cfg.Lease, sweepBatch); err != nil {
		if ctx.Err() == nil {
			log.Warn("looking for expired leases failed", "err", err)
		}
	} else if len(ids) > 0 {
		queued, err := pub.Publish(ctx, ids)
		m.LeasesRequeued.Add(float64(len(queued)))
		log.Warn("requeued photos whose lease expired", "count", len(queued), "found", len(ids), "err", err)
	}

	if n, err := pub.Waiting(ctx); err != nil || n > 0 {
		return
	}
	ids, err := st.LostRetries(ctx, cfg.Lease, sweepBatch)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("looking for lost retries failed", "err", err)
		}
		return
	}
	if len(ids) > 0 {
		queued, err := pub.Publish(ctx, ids)
		m.RetriesRequeued.Add(float64(len(queued)))
		log.Warn("requeued retries whose message was lost", "count", len(queued), "found", len(ids), "err", err)
	}
}
