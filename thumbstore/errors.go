package thumbstore

import (
	"context"
	"errors"
	"net"
	"os"

	"github.com/minio/minio-go/v7"
)

var (
	// ErrNotFound: no thumbnail at that URL.
	ErrNotFound = errors.New("thumbnail not found")
	// ErrUnavailable: the store cannot be used until an operator acts: the bucket does not
	// exist, the credentials are refused, the directory is gone. Retrying a photo cannot help.
	ErrUnavailable = errors.New("thumbnail storage unavailable")
	// ErrNotSupported: the backend cannot do this (presigned links on a local directory).
	ErrNotSupported = errors.New("not supported by this storage backend")
)

// Error kinds, the kind label of photoproc_storage_errors_total.
const (
	KindNotFound    = "not_found"   // no such thumbnail
	KindUnavailable = "unavailable" // missing bucket or directory, refused credentials
	KindTimeout     = "timeout"     // the operation's deadline passed
	KindUnreachable = "unreachable" // connection refused or reset: the store is not answering
	KindServer      = "server"      // the store answered 5xx
	KindCanceled    = "canceled"    // the caller gave up (a client went away, a stop)
	KindOther       = "other"
)

// Kinds lists every error kind, for exporting zeros.
var Kinds = []string{KindNotFound, KindUnavailable, KindTimeout, KindUnreachable, KindServer, KindCanceled, KindOther}

// Kind sorts an error of this package into one of the Kind* values, for metrics and logs.
func Kind(err error) string {
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, ErrNotFound):
		return KindNotFound
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

// statusOf is the HTTP status of an S3 error response in err's chain, or 0.
func statusOf(err error) int {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.StatusCode
	}
	return 0
}
