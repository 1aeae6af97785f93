package enqueue

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

var (
	// ErrUnknownPhotos means some UUIDs name no photo; nothing was queued. The error is an
	// *UnknownPhotosError listing them.
	ErrUnknownPhotos = errors.New("unknown photos")
	// ErrBrokerUnavailable means the broker is not connected; nothing was queued.
	ErrBrokerUnavailable = errors.New("message broker unavailable")
	// ErrPublishFailed means the broker failed partway: the error is a *PublishError saying
	// which messages it confirmed (those photos are queued) and which not.
	ErrPublishFailed = errors.New("publish failed")
)

// Unknown is a UUID that names no photo, and where it was in the request (from 0).
type Unknown struct {
	Index int
	UUID  uuid.UUID
}

// UnknownPhotosError lists the UUIDs that name no photo, in request order.
type UnknownPhotosError struct {
	Photos []Unknown
}

func (e *UnknownPhotosError) Error() string {
	return fmt.Sprintf("%d of the UUIDs name no photo", len(e.Photos))
}

// Is makes errors.Is(err, ErrUnknownPhotos) hold.
func (e *UnknownPhotosError) Is(target error) bool { return target == ErrUnknownPhotos }

// PublishError is a publish the broker did not confirm in full.
type PublishError struct {
	Confirmed   []uuid.UUID // queued: their messages will be processed
	Unconfirmed []uuid.UUID // not queued: to be sent again
	Err         error       // what the broker said
}

func (e *PublishError) Error() string {
	return fmt.Sprintf("publish: %d of %d confirmed: %v", len(e.Confirmed), len(e.Confirmed)+len(e.Unconfirmed), e.Err)
}

// Is makes errors.Is(err, ErrPublishFailed) hold.
func (e *PublishError) Is(target error) bool { return target == ErrPublishFailed }

func (e *PublishError) Unwrap() error { return e.Err }
