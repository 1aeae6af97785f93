package fetch

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/photoproc/photoproc/internal/field"
)

// Config holds the download limits. Start from DefaultConfig and override fields.
type Config struct {
	// Timeout bounds the whole download of one photo: connect, redirects and the full body.
	// Default 30s (PHOTOPROC_DOWNLOAD_TIMEOUT).
	Timeout time.Duration
	// ConnectTimeout bounds each of dial, TLS handshake and the wait for response headers
	// (time to first byte), so a dead host fails fast even under a long Timeout. Default 10s.
	ConnectTimeout time.Duration
	// MaxBytes is the largest body accepted, in bytes, enforced while reading, not only from
	// Content-Length. Default 50 MiB, 50<<20 (PHOTOPROC_MAX_DOWNLOAD_BYTES).
	MaxBytes int64
	// MaxRedirects is how many redirect hops are followed; every hop is checked again like the
	// first URL. 0 refuses any redirect. Default 5.
	MaxRedirects int
	// AllowPrivate turns off the address check, allowing loopback, private, link-local, CGNAT
	// and other non-public targets. For development and trusted networks only. Default false
	// (PHOTOPROC_ALLOW_PRIVATE_URLS).
	AllowPrivate bool
	// AllowedHosts, when not empty, is the only set of host names photos may come from: an exact
	// name ("photos.example.com") or "*.example.com", which matches any name below example.com
	// but not example.com itself. Matching ignores case and a trailing dot; ports are not part of
	// the match. Default empty: any host passing the address check.
	AllowedHosts []string
	// UserAgent is sent with every request. Default "photoproc-fetch/1".
	UserAgent string
}

// DefaultUserAgent is the User-Agent sent unless Config.UserAgent says otherwise.
const DefaultUserAgent = "photoproc-fetch/1"

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Timeout:        30 * time.Second,
		ConnectTimeout: 10 * time.Second,
		MaxBytes:       50 << 20,
		MaxRedirects:   5,
		UserAgent:      DefaultUserAgent,
	}
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, field.Range("Timeout", "timeout", c.Timeout, time.Millisecond, time.Hour, ""))
	if c.ConnectTimeout <= 0 {
		errs = append(errs, fmt.Errorf("connect timeout must be positive, got %s", c.ConnectTimeout))
	}
	// One byte over the limit is read to detect an oversize body, so MaxBytes+1 must fit.
	errs = append(errs, field.Range("MaxBytes", "max bytes", c.MaxBytes, 1, math.MaxInt-1, "bytes"))
	if c.MaxRedirects < 0 {
		errs = append(errs, fmt.Errorf("max redirects must not be negative, got %d", c.MaxRedirects))
	}
	for _, p := range c.AllowedHosts {
		if err := validHostPattern(p); err != nil {
			errs = append(errs, field.Invalid("AllowedHosts", "allowed host", p, "%v", err))
		}
	}
	if strings.TrimSpace(c.UserAgent) == "" {
		errs = append(errs, errors.New("user agent must not be empty"))
	} else if strings.ContainsFunc(c.UserAgent, isControl) {
		errs = append(errs, fmt.Errorf("user agent %q must not contain control characters", c.UserAgent))
	}
	return errors.Join(errs...)
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }
