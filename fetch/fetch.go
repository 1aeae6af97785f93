package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Fetcher downloads photos. It holds one http.Client with its own Transport, so connections to
// a host are reused across photos; it is safe for concurrent use by many workers.
type Fetcher struct {
	cfg    Config
	hosts  hostList
	client *http.Client
	bodies bodies // released bodies, reused by the next downloads

	// Set only by package tests, through options: exempt addresses pass the address check (to
	// reach an httptest server on 127.0.0.1 while every other address is still checked), and
	// resolver replaces the system's DNS.
	exempt   map[netip.Addr]bool
	resolver *net.Resolver
}

// option adjusts a Fetcher for package tests; nothing outside the package can make one.
type option func(*Fetcher)

// New returns a Fetcher for cfg, or cfg's validation errors.
func New(cfg Config) (*Fetcher, error) {
	return newFetcher(cfg)
}

func newFetcher(cfg Config, opts ...option) (*Fetcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("fetch config: %w", err)
	}
	f := &Fetcher{cfg: cfg, hosts: newHostList(cfg.AllowedHosts)}
	for _, o := range opts {
		o(f)
	}
	f.client = &http.Client{Transport: f.transport(), CheckRedirect: f.checkRedirect}
	return f, nil
}

func (f *Fetcher) transport() *http.Transport {
	dialer := &net.Dialer{Timeout: f.cfg.ConnectTimeout, KeepAlive: 30 * time.Second, Resolver: f.resolver}
	if !f.cfg.AllowPrivate {
		dialer.Control = f.control
	}
	return &http.Transport{
		Proxy:                  nil, // a proxy would be what the dialer checks, not the photo host
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true, // a custom DialContext turns HTTP/2 off unless asked
		TLSHandshakeTimeout:    f.cfg.ConnectTimeout,
		ResponseHeaderTimeout:  f.cfg.ConnectTimeout,
		MaxResponseHeaderBytes: 1 << 20,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
	}
}

// Fetch downloads rawURL and returns the body. It fails with a *StatusError for a non-2xx
// answer, with one of the package's sentinel errors when a limit or rule is broken, and
// otherwise with the underlying network or context error; Permanent sorts them.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := f.parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadURL, u.Redacted(), err)
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "image/*, */*;q=0.5")

	resp, lastHop, err := f.do(req)
	if blocked, ok := errors.AsType[*blockedError](err); ok {
		// Not the dialer's own error, which names the address it dialed.
		dialed := u
		if lastHop != nil {
			dialed = lastHop
		}
		return nil, fmt.Errorf("%s: %w", describe(u, lastHop), blocked.forHost(dialed.Hostname()))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(u, lastHop), unwrapURLError(err))
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		drain(resp.Body)
		return nil, &StatusError{Code: resp.StatusCode, URL: resp.Request.URL.Redacted()}
	}
	body, err := f.readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(u, lastHop), err)
	}
	return body, nil
}

// do sends req, following redirects that pass checkRedirect, and also returns the last redirect
// followed (nil if none) for error messages.
func (f *Fetcher) do(req *http.Request) (*http.Response, *url.URL, error) {
	var lastHop *url.URL
	// A shallow copy shares the Transport, so connections are still reused.
	client := *f.client
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		err := f.checkRedirect(req, via)
		if err == nil {
			lastHop = req.URL
		}
		return err
	}
	resp, err := client.Do(req)
	return resp, lastHop, err
}

// Close releases idle connections. In-flight downloads are not interrupted; the Fetcher stays
// usable.
func (f *Fetcher) Close() {
	f.client.CloseIdleConnections()
}

func (f *Fetcher) parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrBadURL, rawURL, unwrapURLError(err))
	}
	if !u.IsAbs() {
		return nil, fmt.Errorf("%w: %q is not absolute", ErrBadURL, rawURL)
	}
	if err := f.checkURL(u); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	return u, nil
}

// describe names the request in an error: the URL asked for and, after redirects, the last
// one followed. Passwords are masked.
func describe(u, lastHop *url.URL) string {
	if lastHop == nil {
		return "GET " + u.Redacted()
	}
	return fmt.Sprintf("GET %s (redirected to %s)", u.Redacted(), lastHop.Redacted())
}

// unwrapURLError drops the url.Error layer (`Get "url": ...`), whose URL our message already
// names; the cause stays in the chain for errors.Is and errors.As.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// drain reads a little of an unwanted body so its connection can be reused; a large one is
// cheaper to drop with the connection.
func drain(body io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
}
