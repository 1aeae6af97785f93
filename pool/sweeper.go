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
}

// LeaseStore finds photos whose claim expired.
type LeaseStore interface {
	ExpiredLeases(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error)
}

// sweepBatch bounds one sweep; a bigger backlog is taken over several sweeps.
const sweepBatch = 500

// Sweep requeues, every cfg.SweepInterval until ctx ends, the photos left in processing past
// their lease with no message behind them — e.g. a message lost with a broker that was not
// durable, or a queue purged by hand. ExpiredLeases pushes each lease forward as it returns
// it, so several daemons never requeue the same photo at once.
func Sweep(ctx context.Context, cfg Config, st LeaseStore, pub Publisher, m *metrics.Metrics, log *slog.Logger) {
	log = log.With("component", "sweeper")
	t := time.NewTicker(cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ids, err := st.ExpiredLeases(ctx, cfg.Lease, sweepBatch)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("looking for expired leases failed", "err", err)
			}
			continue
		}
		if len(ids) == 0 {
			continue
		}
		queued, err := pub.Publish(ctx, ids)
		m.LeasesRequeued.Add(float64(len(queued)))
		log.Warn("requeued photos whose lease expired", "count", len(queued), "found", len(ids), "err", err)
	}
}
