package fetch

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors, matched with errors.Is. Each is wrapped with the detail a person needs (the
// limit, the host; for a refused address, the address and its class only when the URL names
// the address itself).
var (
	// ErrBadURL: the URL does not parse or is not absolute with a host.
	ErrBadURL = errors.New("bad URL")
	// ErrScheme: the URL or a redirect uses a scheme other than http or https.
	ErrScheme = errors.New("scheme not allowed")
	// ErrHostNotAllowed: the host is not on Config.AllowedHosts.
	ErrHostNotAllowed = errors.New("host not allowed")
	// ErrBlockedAddress: the host resolved to a loopback, private, link-local or other non-public
	// address, and Config.AllowPrivate is off. For a host name the message does not say the
	// address: failure reasons are shown to whoever submitted the URL.
	ErrBlockedAddress = errors.New("blocked address")
	// ErrTooManyRedirects: more than Config.MaxRedirects hops.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrTooLarge: the body, by Content-Length or by bytes read, is larger than Config.MaxBytes.
	ErrTooLarge = errors.New("too large")
)

// StatusError is a response outside 2xx, after redirects were followed.
type StatusError struct {
	Code int    // HTTP status code
	URL  string // the URL that answered, password removed
}

func (e *StatusError) Error() string {
	text := http.StatusText(e.Code)
	if text == "" {
		return fmt.Sprintf("GET %s: status %d", e.URL, e.Code)
	}
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Code, text)
}

// permanent reports whether asking again cannot help: see Permanent.
func (e *StatusError) permanent() bool {
	switch {
	case e.Code == http.StatusRequestTimeout, e.Code == http.StatusTooManyRequests:
		return false
	case e.Code >= 500:
		return false
	default:
		return true
	}
}

// Permanent reports whether err means the same download will fail again, so retrying is waste.
//
// Permanent: a StatusError with a code below 500 other than 408 Request Timeout and 429 Too Many
// Requests (in practice 4xx, and 3xx: a redirect without a usable Location); ErrTooLarge,
// ErrBlockedAddress, ErrScheme, ErrHostNotAllowed, ErrTooManyRedirects and ErrBadURL.
//
// Everything else is transient: 5xx, 408, 429, timeouts (context.DeadlineExceeded and net.Error
// timeouts), cancellation, connection refused or reset, DNS failures, TLS failures, and a nil
// error.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		return se.permanent()
	}
	for _, p := range []error{ErrTooLarge, ErrBlockedAddress, ErrScheme, ErrHostNotAllowed, ErrTooManyRedirects, ErrBadURL} {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}
