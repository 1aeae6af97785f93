package pool

import (
	"context"
	"errors"

	"github.com/photoproc/photoproc/thumbstore"
)

// ThumbStore keeps the thumbnails: the pool stores each one and, when that fails, asks whether
// the store can be used at all.
type ThumbStore interface {
	// Put stores a thumbnail whole or not at all and returns the URL to record.
	Put(ctx context.Context, name string, data []byte) (url string, err error)
	// Check is nil while thumbnails can be stored.
	Check(ctx context.Context) error
}

// reasonStorage pauses intake while thumbnails cannot be stored.
const reasonStorage = "thumbnail storage unavailable"

// storageError marks a failure to store a thumbnail, so that it is never mistaken for a bad
// photo.
type storageError struct{ err error }

func (e *storageError) Error() string { return e.err.Error() }
func (e *storageError) Unwrap() error { return e.err }

// storageCause says whether a failure to store a thumbnail was the store being unusable (a
// missing bucket or directory, refused credentials, a store that does not answer its check),
// and if so the cause to hold the delivery and pause intake for: like the database and the
// broker, our own infrastructure failing spends none of the photo's attempts. A store that
// passes its check had a passing failure (a timeout, a 5xx), retried like any transient one.
func (p *Pool) storageCause(a *attempt, err error) (cause, bool) {
	ctx, cancel := context.WithTimeout(p.work, settleTimeout)
	checkErr := p.thumbstore.Check(ctx)
	cancel()
	if !errors.Is(err, thumbstore.ErrUnavailable) && checkErr == nil {
		return cause{}, false
	}
	if checkErr == nil {
		checkErr = err
	}
	a.log.Warn("thumbnail storage unavailable: holding the photo until it answers, then handing it back",
		"err", checkErr)
	return cause{reason: reasonStorage, probe: p.thumbstore.Check}, true
}
