package pool

import (
	"context"
	"errors"

	"github.com/photoproc/photoproc/fetch"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/store"
)

// class is what a failure means for the photo. classify is the one place that decides it.
type class int

const (
	classTransient class = iota // try again later, up to MaxAttempts
	classPermanent              // the same input will fail the same way: fail the photo now
	classDatabase               // the store failed: retry, or hand back and pause if it is down
	classStopping               // the daemon is stopping: hand the message back untouched
	classMissing                // the photo is not in the database: nothing to mark, dead-letter
	classStorage                // storing the thumbnail failed: retry, or hand back and pause if the store is unusable
)

// Permanent marks err as not worth retrying: the photo is failed with err as its reason.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// storeError marks a failure of the store, so that it is never mistaken for a bad photo.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func classify(work context.Context, err error) class {
	var perm *permanentError
	var st *storeError
	var ste *storageError
	switch {
	case work.Err() != nil && errors.Is(err, context.Canceled):
		return classStopping
	case errors.Is(err, store.ErrNotFound):
		return classMissing
	case errors.As(err, &st):
		return classDatabase
	case errors.As(err, &ste):
		return classStorage
	case errors.As(err, &perm),
		fetch.Permanent(err),
		errors.Is(err, imaging.ErrUnsupportedFormat),
		errors.Is(err, imaging.ErrTooManyPixels),
		errors.Is(err, imaging.ErrCorrupt):
		return classPermanent
	default:
		// Timeouts, resets, 5xx, a full disk, a panic: worth another try after a backoff.
		return classTransient
	}
}
