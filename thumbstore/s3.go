package thumbstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Retries is how many times the client itself tries a request that failed in a way worth
// trying again (a reset, a 503) before the error comes back; past that the pool's own retry
// through the delay queue, or its pause, takes over.
const s3Retries = 3

// cacheControl is stored with each object, so a CDN, a public bucket or a presigned link
// serves thumbnails with the same caching as the API.
const cacheControl = "public, max-age=86400"

// s3 keeps thumbnails as objects in one bucket, through minio-go (chosen over aws-sdk-go-v2
// by binary size and dependencies: ARCHITECTURE.md).
type s3 struct {
	client *minio.Client
	bucket string
}

func newS3(loc location, cfg S3Config) (*s3, error) {
	host, secure, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupDNS
	if cfg.pathStyle() {
		lookup = minio.BucketLookupPath
	}
	region := cfg.Region
	if region == "" && cfg.Endpoint != "" {
		region = "us-east-1" // what S3-compatible servers expect when told nothing
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        credentialChain(cfg),
		Secure:       secure,
		Region:       region,
		BucketLookup: lookup,
		MaxRetries:   s3Retries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	return &s3{client: client, bucket: loc.bucket}, nil
}

// credentialChain is the static credentials when given, else the AWS SDKs' chain in their
// order: environment, shared files and profiles, then IAM (web identity, container
// credentials, instance role).
func credentialChain(cfg S3Config) *credentials.Credentials {
	if cfg.AccessKeyID != "" {
		return credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	}
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
		&credentials.IAM{Region: cfg.Region},
	})
}

// put is one PutObject with Content-Length and Content-MD5: S3 stores the whole object or,
// if the body is cut short or does not match its digest, nothing.
func (s *s3) put(ctx context.Context, key string, data []byte) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:      "image/jpeg",
		CacheControl:     cacheControl,
		SendContentMd5:   true,
		DisableMultipart: true,
	})
	return s.err(err)
}

func (s *s3) open(ctx context.Context, key string) (*Object, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.notFound(ctx, s.err(err))
	}
	st, err := obj.Stat() // sends the GET; its body is what the first Read returns
	if err != nil {
		obj.Close()
		return nil, s.notFound(ctx, s.err(err))
	}
	return &Object{ReadSeekCloser: &lazySeeker{obj: obj, size: st.Size}, Info: objectInfo(st)}, nil
}

func (s *s3) stat(ctx context.Context, key string) (Info, error) {
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.notFound(ctx, s.err(err))
	}
	return objectInfo(st), nil
}

func objectInfo(st minio.ObjectInfo) Info {
	return Info{Size: st.Size, ModTime: st.LastModified, ETag: `"` + strings.Trim(st.ETag, `"`) + `"`}
}

func (s *s3) check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	switch {
	case err != nil:
		return s.err(err)
	case !ok:
		return fmt.Errorf("%w: bucket %s does not exist", ErrUnavailable, s.bucket)
	}
	return nil
}

func (s *s3) presign(ctx context.Context, key string, expiry time.Duration) (string, error) {
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, expiry, nil)
	if err != nil {
		return "", s.err(err)
	}
	return u.String(), nil
}

func (s *s3) removeLeftovers(context.Context, time.Time) (int, error) { return 0, nil }

func (s *s3) url(key string) string { return "s3://" + s.bucket + "/" + key }

func (s *s3) keyOf(url string) (string, bool) {
	if k, ok := strings.CutPrefix(url, "s3://"+s.bucket+"/"); ok && k != "" {
		return k, true
	}
	return "", false
}

func (s *s3) close() error { return nil }

// err sorts an S3 error: a missing key is ErrNotFound; a missing bucket or refused
// credentials are ErrUnavailable, since no retry helps until an operator acts. Anything else
// (timeouts, resets, 5xx) is returned as it is: worth another try.
func (s *s3) err(err error) error {
	var resp minio.ErrorResponse
	if err == nil || !errors.As(err, &resp) {
		return err
	}
	switch resp.Code {
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case "NoSuchBucket":
		return fmt.Errorf("%w: bucket %s does not exist", ErrUnavailable, s.bucket)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
		"InvalidToken", "TokenRefreshRequired", "AuthorizationHeaderMalformed", "AccountProblem":
		return fmt.Errorf("%w: credentials refused for bucket %s: %s", ErrUnavailable, s.bucket, resp.Code)
	}
	if resp.StatusCode == 401 || resp.StatusCode == 403 {
		return fmt.Errorf("%w: credentials refused for bucket %s: %w", ErrUnavailable, s.bucket, err)
	}
	return fmt.Errorf("%d %s: %w", resp.StatusCode, resp.Code, err) // the message alone may not say
}

// notFound tells a missing key from a missing bucket, which some servers (and every HEAD)
// report alike: a thumbnail recorded but gone is one row's problem, a bucket that is gone is
// the whole store's.
func (s *s3) notFound(ctx context.Context, err error) error {
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	if ok, cerr := s.client.BucketExists(ctx, s.bucket); cerr == nil && !ok {
		return fmt.Errorf("%w: bucket %s does not exist", ErrUnavailable, s.bucket)
	}
	return err
}

// lazySeeker lets http.ServeContent seek to the end and back to learn the size without a
// request: minio's Object would fetch again on the next Read after any seek. Only a Read at
// another position than the stream's seeks the object (a range request).
type lazySeeker struct {
	mu   sync.Mutex
	obj  *minio.Object
	size int64
	pos  int64 // where the next Read reads
	at   int64 // where the object's stream is
}

func (l *lazySeeker) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pos != l.at {
		if _, err := l.obj.Seek(l.pos, io.SeekStart); err != nil {
			return 0, err
		}
		l.at = l.pos
	}
	n, err := l.obj.Read(p)
	l.pos += int64(n)
	l.at += int64(n)
	return n, err
}

func (l *lazySeeker) Seek(offset int64, whence int) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch whence {
	case io.SeekCurrent:
		offset += l.pos
	case io.SeekEnd:
		offset += l.size
	}
	if offset < 0 {
		return 0, errors.New("seek before the start")
	}
	l.pos = offset
	return offset, nil
}

func (l *lazySeeker) Close() error { return l.obj.Close() }
