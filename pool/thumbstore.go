package pool

import (
	"context"
	"errors"
	"fmt"

	"github.com/photoproc/photoproc/thumbstore"
)

// ThumbStore keeps the thumbnails: the pool stores each one and, when that fails, asks
// whether the store can take writes at all.
type ThumbStore interface {
	// Put stores a thumbnail whole or not at all and returns the URL to record.
	Put(ctx context.Context, name string, data []byte) (url string, err error)
	// Probe writes to the store and removes what it wrote: nil while thumbnails can be stored.
	Probe(ctx context.Context) error
}

// reasonStorage pauses intake while thumbnails cannot be stored.
const reasonStorage = "thumbnail storage unavailable"

// storageError marks a failure to store a thumbnail, so that it is never mistaken for a bad
// photo.
type storageError struct{ err error }

func (e *storageError) Error() string { return e.err.Error() }
func (e *storageError) Unwrap() error { return e.err }

// put stores the attempt's thumbnail. While the store cannot take writes it holds the
// delivery, as a database or broker outage does: intake pauses for reasonStorage, the put is
// tried again once a probe (a real write) passes, and no attempt is spent. Only a failure of
// a store that takes writes — a timeout, a 5xx, while the probe passes — is returned, to be
// retried through the delay queue like any transient one.
func (p *Pool) put(ctx context.Context, a *attempt, name string, data []byte) (string, error) {
	for try, delay := 1, probeMin; ; try, delay = try+1, min(2*delay, probeMax) {
		url, err := p.thumbstore.Put(ctx, name, data)
		if err == nil {
			p.gate.healthy(reasonStorage)
			return url, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("store thumbnail: %w", ctx.Err())
		}
		c, held := p.storageCause(err)
		if !held {
			return "", &storageError{fmt.Errorf("store thumbnail: %w", err)}
		}
		log := a.log.Debug
		if try == 1 {
			log = a.log.Warn
		}
		log("thumbnail storage unavailable: holding the photo until a write to the store succeeds",
			"err", c.detail, "kind", thumbstore.Kind(err), "try", try)
		p.gate.down(c)
		// A cause the probe cannot see (a put refused where the probe's write is not) is tried
		// no faster than the longest probe delay.
		if !p.wait(p.gate.cleared(c.reason), delay) {
			return "", p.work.Err()
		}
	}
}

// storageCause says whether a failed put was the store being unable to take writes: it said
// so (full, read-only, refused, gone), or a probe written after it fails too. Like the
// database and the broker, our own infrastructure failing spends none of a photo's attempts.
func (p *Pool) storageCause(err error) (cause, bool) {
	if !errors.Is(err, thumbstore.ErrUnavailable) {
		ctx, cancel := context.WithTimeout(p.work, settleTimeout)
		perr := p.thumbstore.Probe(ctx)
		cancel()
		if perr == nil {
			return cause{}, false
		}
		err = perr
	}
	return cause{reason: reasonStorage, detail: err.Error(), probe: p.thumbstore.Probe}, true
}
