package pool

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/photoproc/photoproc/store"
)

// leases keeps the leases of the claims this process holds alive while their photos are in
// flight, however long that takes: a slow download, a thumbnail of a huge photo, an outcome
// held while the database refuses writes, a drain at shutdown. Without it, another worker or
// the sweeper would take over a photo still being worked on once PHOTOPROC_LEASE ran out; with
// it, an expired lease means its holder is gone. Every Lease/3 one statement extends them all.
type leases struct {
	store Store
	lease time.Duration
	log   *slog.Logger

	mu   sync.Mutex
	held map[store.Claim]bool
}

func newLeases(st Store, lease time.Duration, log *slog.Logger) *leases {
	return &leases{store: st, lease: lease, log: log, held: map[store.Claim]bool{}}
}

func (l *leases) add(c store.Claim) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held[c] = true
}

func (l *leases) remove(c store.Claim) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, c)
}

// keep extends the held leases every Lease/3 until ctx ends.
func (l *leases) keep(ctx context.Context) {
	t := time.NewTicker(l.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.extend(ctx)
	}
}

func (l *leases) extend(ctx context.Context) {
	l.mu.Lock()
	claims := make([]store.Claim, 0, len(l.held))
	for c := range l.held {
		claims = append(claims, c)
	}
	l.mu.Unlock()
	if len(claims) == 0 {
		return
	}
	lost, err := l.store.ExtendLeases(ctx, l.lease, claims)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("extending the leases of photos in flight failed", "photos", len(claims), "err", err)
		}
		return
	}
	for _, c := range lost {
		// Its outcome will not be recorded over the new holder's (see store.Claim).
		l.log.Info("photo taken over by another worker while in flight here", "photo_uuid", c.Photo, "attempt", c.Attempt)
		l.remove(c)
	}
}
