package thumbstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"

	"github.com/minio/minio-go/v7"
)

var (
	// ErrNotFound: no thumbnail at that URL.
	ErrNotFound = errors.New("thumbnail not found")
	// ErrUnavailable: the store cannot take writes, or be used at all, until it or an operator
	// acts: the bucket or directory is missing, the credentials are refused, or it is one of
	// ErrFull, ErrReadOnly and ErrRefused, which are ErrUnavailable too. Retrying a photo
	// cannot help; waiting for the store can.
	ErrUnavailable = errors.New("thumbnail storage unavailable")
	// ErrFull: no space left: a full disk or quota, a storage server out of space (S3 507).
	ErrFull error = &unavailableError{"thumbnail storage full"}
	// ErrReadOnly: the directory's file system is mounted read-only.
	ErrReadOnly error = &unavailableError{"thumbnail storage read-only"}
	// ErrRefused: the store refuses us: file permissions, refused credentials, a bucket policy,
	// an encryption requirement or a KMS key we may not use.
	ErrRefused error = &unavailableError{"thumbnail storage refused access"}
	// ErrNotSupported: the backend cannot do this (presigned links on a local directory).
	ErrNotSupported = errors.New("not supported by this storage backend")
)

// unavailableError is a particular way of being ErrUnavailable.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string        { return e.msg }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// Error kinds, the kind label of photoproc_storage_errors_total.
const (
	KindNotFound    = "not_found"   // no such thumbnail
	KindFull        = "full"        // ErrFull
	KindReadOnly    = "read_only"   // ErrReadOnly
	KindRefused     = "refused"     // ErrRefused
	KindUnavailable = "unavailable" // other ErrUnavailable: missing bucket or directory
	KindTimeout     = "timeout"     // the operation's deadline passed
	KindUnreachable = "unreachable" // connection refused or reset: the store is not answering
	KindServer      = "server"      // the store answered 5xx
	KindCanceled    = "canceled"    // the caller gave up (a client went away, a stop)
	KindOther       = "other"
)

// Kinds lists every error kind, for exporting zeros.
var Kinds = []string{KindNotFound, KindFull, KindReadOnly, KindRefused, KindUnavailable, KindTimeout,
	KindUnreachable, KindServer, KindCanceled, KindOther}

// Kind sorts an error of this package into one of the Kind* values, for metrics, logs and
// /readyz: words that say what is wrong without paths or hosts.
func Kind(err error) string {
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrFull):
		return KindFull
	case errors.Is(err, ErrReadOnly):
		return KindReadOnly
	case errors.Is(err, ErrRefused):
		return KindRefused
	case errors.Is(err, ErrUnavailable):
		return KindUnavailable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case statusOf(err) >= 500:
		return KindServer
	case errors.As(err, &opErr):
		return KindUnreachable
	default:
		return KindOther
	}
}

// fsUnavailable marks the file system errors that are the store's own state, not one write's
// bad luck: no space, a quota, a read-only mount, permissions. Others come back as they are.
func fsUnavailable(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnavailable):
		return err
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", ErrFull, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	case errors.Is(err, fs.ErrPermission): // EACCES, EPERM (an immutable directory)
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return err
}

// statusOf is the HTTP status of an S3 error response in err's chain, or 0.
func statusOf(err error) int {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.StatusCode
	}
	return 0
}
