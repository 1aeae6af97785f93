package store

import (
	"context"
	"maps"
	"sync"
	"time"
)

// CountCache answers CountByStatus from a copy at most MaxAge old, refreshed in the background:
// counting is a scan of every photo (about a second at 10 million rows), and the admin page
// (each open tab every 2 s) and every Prometheus scrape ask for it. Whoever asks, the database
// counts at most once per MaxAge, and only the first caller ever waits for it; later ones get
// the last copy while a newer one is counted.
type CountCache struct {
	db     *DB
	maxAge time.Duration

	mu         sync.Mutex
	counts     map[Status]int64
	at         time.Time     // when counts were counted; zero before the first count
	lastErr    error         // of the last count
	refreshing chan struct{} // closed when the count in flight ends; nil when none is
	ctx        context.Context
	stop       context.CancelFunc
	wg         sync.WaitGroup
}

// NewCountCache caches db's counts for maxAge. Close it.
func NewCountCache(db *DB, maxAge time.Duration) *CountCache {
	ctx, stop := context.WithCancel(context.Background())
	return &CountCache{db: db, maxAge: maxAge, ctx: ctx, stop: stop}
}

// CountByStatus returns the photos in each status as counted at most MaxAge ago, or, when the
// copy is older, as last counted while a new count runs. Only before the first count succeeds
// does it wait for one (bounded by ctx); its error is then the count's.
func (c *CountCache) CountByStatus(ctx context.Context) (map[Status]int64, error) {
	c.mu.Lock()
	if c.at.IsZero() {
		done := c.refresh()
		c.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.at.IsZero() {
			return nil, c.lastErr
		}
		return maps.Clone(c.counts), nil
	}
	defer c.mu.Unlock()
	if time.Since(c.at) > c.maxAge {
		c.refresh()
	}
	return maps.Clone(c.counts), nil
}

// refresh starts a count unless one is running, and returns a channel closed when it ends.
// c.mu is held.
func (c *CountCache) refresh() <-chan struct{} {
	if c.refreshing != nil {
		return c.refreshing
	}
	done := make(chan struct{})
	c.refreshing = done
	c.wg.Go(func() {
		counts, err := c.db.CountByStatus(c.ctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err == nil {
			c.counts, c.at = counts, time.Now()
		}
		c.lastErr = err
		c.refreshing = nil
		close(done)
	})
	return done
}

// Close stops a count in flight and waits for it.
func (c *CountCache) Close() {
	c.stop()
	c.wg.Wait()
}
