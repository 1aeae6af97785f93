package pool

import (
	"context"
	"errors"
	"fmt"

	"github.com/alitto/pond/v2"

	"github.com/photoproc/photoproc/fetch"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/store"
)

// class is what a failure means for the photo. classify is the one place that decides it.
type class int

const (
	classTransient class = iota // try again later, while attempts are left
	classPermanent              // the same input will fail the same way: fail the photo now
	classDatabase               // the store failed other than by being unavailable (held then)
	classStopping               // the daemon is stopping: hand the message back untouched
	classMissing                // the photo is not in the database: nothing to mark, dead-letter
	classExhausted              // no attempt left: the last ones died with their worker
	classStorage                // storing the thumbnail failed while the store takes writes: retried
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

// exhaustedError is a claim refused because the photo has had all its attempts: the last ones
// were cut short with their worker (a crash, a kill), so none of them could fail it.
type exhaustedError struct{ attempts int }

func (e *exhaustedError) Error() string {
	return fmt.Sprintf("gave up after %d attempts: the worker processing it died before finishing the last", e.attempts)
}

// errNothingToDo ends an attempt that found nothing to do: the photo is completed, failed,
// another worker's, or waiting for a retry that its own message will bring.
var errNothingToDo = errors.New("nothing to do")

func classify(work context.Context, err error) class {
	var (
		perm      *permanentError
		st        *storeError
		ste       *storageError
		exhausted *exhaustedError
	)
	switch {
	case work.Err() != nil && errors.Is(err, context.Canceled), errors.Is(err, pond.ErrPoolStopped):
		return classStopping
	case errors.As(err, &exhausted):
		return classExhausted
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
