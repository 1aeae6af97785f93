package pool

import (
	"context"
	"errors"
	"log/slog"

	"github.com/photoproc/photoproc/storage"
)

// Storage keeps the thumbnails: the pool stores each one and, when that fails, asks whether
// the store can be used at all.
type Storage interface {
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

// storageFailed settles a delivery whose thumbnail could not be stored. A store that cannot
// be used (a missing bucket or directory, refused credentials, a store that does not answer)
// fails no photo: the photo goes back to the queue untouched and intake pauses until the
// store passes its check again. A store that answers had a passing failure (a timeout, a 5xx):
// the photo is retried through the delay queue like any transient failure.
func (p *Pool) storageFailed(ctx context.Context, d Delivery, err error, log *slog.Logger) {
	checkErr := p.storage.Check(ctx)
	if errors.Is(err, storage.ErrUnavailable) || checkErr != nil {
		if checkErr == nil {
			checkErr = err
		}
		log.Warn("thumbnail storage unavailable: handing photo back and pausing intake until it answers",
			"err", checkErr)
		p.gate.down(reasonStorage, p.storage.Check)
		p.requeue(d)
		return
	}
	p.retryOrFail(ctx, d, err.Error(), log)
}
