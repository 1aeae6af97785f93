package thumbstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Info describes a stored thumbnail.
type Info struct {
	Size    int64
	ModTime time.Time
	ETag    string // a strong entity tag, quoted, for ETag and If-None-Match
}

// Object is a stored thumbnail open for reading. Seeking is cheap until the next Read, so
// http.ServeContent costs one request to the store (more only for a range). Close it.
type Object struct {
	io.ReadSeekCloser
	Info
}

// Observer records each store operation: its name, how long it took, and the Kind of its
// error ("" when it succeeded). metrics.Metrics is one.
type Observer interface {
	ObserveStorage(operation string, took time.Duration, kind string)
}

// Deps are the store's collaborators; both may be nil.
type Deps struct {
	Metrics Observer
	Logger  *slog.Logger
}

// backend is one way of storing thumbnails, addressed by key.
type backend interface {
	put(ctx context.Context, key string, data []byte) error
	open(ctx context.Context, key string) (*Object, error)
	stat(ctx context.Context, key string) (Info, error)
	check(ctx context.Context) error
	presign(ctx context.Context, key string, expiry time.Duration) (string, error)
	removeLeftovers(ctx context.Context, olderThan time.Time) (int, error)
	// url is the storage URL of key; keyOf undoes it, and says false for a URL it does not name.
	url(key string) string
	keyOf(url string) (string, bool)
	close() error
}

// Store keeps thumbnails in one backend, times every operation and sorts its errors.
type Store struct {
	cfg     Config
	loc     location
	b       backend
	metrics Observer
	log     *slog.Logger
}

// Open validates cfg and opens the store it names. It makes a missing local directory but
// contacts no server: a bucket that is not there yet shows in Check, not here.
func Open(cfg Config, deps Deps) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, _ := cfg.location()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{cfg: cfg, loc: loc, metrics: deps.Metrics, log: deps.Logger.With("component", "storage")}
	var err error
	switch loc.backend {
	case BackendS3:
		s.b, err = newS3(loc, cfg.S3)
	default:
		s.b, err = newLocal(loc.dir)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Backend is BackendLocal or BackendS3.
func (s *Store) Backend() string { return s.loc.backend }

// String says where thumbnails are stored, for logs and the admin page: the directory, or the
// bucket URL and the endpoint.
func (s *Store) String() string {
	if s.loc.backend == BackendS3 {
		ep := s.cfg.S3.Endpoint
		if ep == "" {
			ep = "Amazon S3"
		}
		return fmt.Sprintf("s3://%s/%s (%s)", s.loc.bucket, s.loc.prefix, ep)
	}
	return "local directory " + s.b.(*local).dir
}

// Put stores data as the thumbnail name ("<photo uuid>.jpg"), whole or not at all, replacing
// any earlier one, within Config.Timeout. It returns the URL to record for it.
func (s *Store) Put(ctx context.Context, name string, data []byte) (url string, err error) {
	defer s.observe("put", time.Now(), &err)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	key := s.loc.prefix + name
	if err := s.b.put(ctx, key, data); err != nil {
		return "", fmt.Errorf("put %s: %w", key, err)
	}
	return s.URL(key), nil
}

// URL is what photo_thumbnails.url records for key: PublicBaseURL + key, escaped as a path,
// when that is set, else the storage URL (the path relative to the directory, or
// s3://BUCKET/KEY).
func (s *Store) URL(key string) string {
	if s.cfg.PublicBaseURL != "" {
		return publicURL(s.cfg.PublicBaseURL, key)
	}
	return s.b.url(key)
}

// key finds the key a recorded URL names. A URL of another store is ErrNotFound here.
func (s *Store) key(url string) (string, error) {
	if base := s.cfg.PublicBaseURL; base != "" {
		if k, ok := publicKey(base, url); ok {
			return k, nil
		}
	}
	if k, ok := s.b.keyOf(url); ok {
		return k, nil
	}
	// A row written while thumbnails were in a local directory names a file in it: in a
	// bucket that is a key under the prefix, where copying the directory puts it.
	if s.loc.backend == BackendS3 && isPlainName(url) {
		return s.loc.prefix + url, nil
	}
	return "", fmt.Errorf("%w: %q is not in %s", ErrNotFound, url, s)
}

// Open opens the thumbnail a recorded URL names. ctx bounds the reading too.
func (s *Store) Open(ctx context.Context, url string) (obj *Object, err error) {
	defer s.observe("open", time.Now(), &err)
	key, err := s.key(url)
	if err != nil {
		return nil, err
	}
	obj, err = s.b.open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	return obj, nil
}

// Stat describes the thumbnail a recorded URL names.
func (s *Store) Stat(ctx context.Context, url string) (info Info, err error) {
	defer s.observe("stat", time.Now(), &err)
	key, err := s.key(url)
	if err != nil {
		return Info{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	info, err = s.b.stat(ctx, key)
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return info, nil
}

// Check reports whether thumbnails can be stored: nil, ErrUnavailable (a missing bucket or
// directory, refused credentials) or why the store does not answer.
func (s *Store) Check(ctx context.Context) (err error) {
	defer s.observe("check", time.Now(), &err)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := s.b.check(ctx); err != nil {
		return fmt.Errorf("check %s: %w", s, err)
	}
	return nil
}

// Presign returns a URL that fetches the thumbnail a recorded URL names without credentials,
// valid for expiry. ErrNotSupported on a local directory.
func (s *Store) Presign(ctx context.Context, url string, expiry time.Duration) (u string, err error) {
	defer s.observe("presign", time.Now(), &err)
	key, err := s.key(url)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	u, err = s.b.presign(ctx, key, expiry)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return u, nil
}

// RemoveLeftovers deletes what writes that never finished (a crash, a kill, a full disk) left
// before olderThan, and returns how many it deleted. Pass a time before any write still in
// progress elsewhere started. S3 uploads are single requests, which leave nothing.
func (s *Store) RemoveLeftovers(ctx context.Context, olderThan time.Time) (n int, err error) {
	defer s.observe("cleanup", time.Now(), &err)
	n, err = s.b.removeLeftovers(ctx, olderThan)
	if err != nil {
		return n, fmt.Errorf("remove leftovers: %w", err)
	}
	return n, nil
}

// Close releases the backend.
func (s *Store) Close() error { return s.b.close() }

func (s *Store) observe(op string, start time.Time, err *error) {
	if s.metrics == nil {
		return
	}
	kind := ""
	if *err != nil {
		kind = Kind(*err)
	}
	s.metrics.ObserveStorage(op, time.Since(start), kind)
}
