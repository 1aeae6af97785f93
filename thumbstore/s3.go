package thumbstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
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
	client  *minio.Client
	bucket  string
	prefix  string        // of every key, "" or ending in a slash
	timeout time.Duration // until a GET's headers arrive
	log     *slog.Logger
}

func newS3(loc location, cfg S3Config, timeout time.Duration, log *slog.Logger) (*s3, error) {
	host, secure, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" && cfg.Endpoint != "" {
		region = "us-east-1" // what S3-compatible servers expect when told nothing
	}
	client, err := minio.New(host, &minio.Options{
		Creds:              credentialChain(cfg),
		Secure:             secure,
		Region:             region,
		BucketLookupViaURL: bucketLookup(cfg.pathStyle()),
		MaxRetries:         s3Retries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	return &s3{client: client, bucket: loc.bucket, prefix: loc.prefix, timeout: timeout, log: log}, nil
}

// bucketLookup addresses the bucket by path when pathStyle, else by virtual host
// (BUCKET.host) — except a bucket whose name has a dot over HTTPS, which no certificate of the
// host can cover (*.s3.amazonaws.com does not match a.b.s3.amazonaws.com): that one goes by
// path, as minio-go's BucketLookupAuto does on Amazon S3.
func bucketLookup(pathStyle bool) func(url.URL, string) minio.BucketLookupType {
	return func(u url.URL, bucket string) minio.BucketLookupType {
		if pathStyle || (u.Scheme == "https" && strings.Contains(bucket, ".")) {
			return minio.BucketLookupPath
		}
		return minio.BucketLookupDNS
	}
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
// if the body is cut short or does not match its digest, nothing. Its Content-Type is the
// key's format's, which a public bucket or CDN serves as it is.
func (s *s3) put(ctx context.Context, key string, data []byte) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:      MediaType(key),
		CacheControl:     cacheControl,
		SendContentMd5:   true,
		DisableMultipart: true,
	})
	return s.err(err)
}

// probePrefix holds the sentinels probes write, under the store's prefix so that the policies
// and encryption rules of the thumbnails apply to them too. A probe deletes its own; one left
// (a crash, a policy without s3:DeleteObject) is a few KB that a lifecycle rule on this
// prefix may expire.
const probePrefix = ".photoproc-probe/"

// probe puts a sentinel the size of a thumbnail as thumbnails are put, then deletes it.
func (s *s3) probe(ctx context.Context) error {
	key := s.prefix + probePrefix + strconv.FormatUint(rand.Uint64(), 36)
	if err := s.put(ctx, key, make([]byte, probeSize)); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		// Writes work, which is what the probe asks; the sentinel stays.
		s.log.Warn("removing the storage probe's sentinel failed; allow s3:DeleteObject on "+s.prefix+probePrefix+"* or expire it with a lifecycle rule",
			"key", key, "err", err)
	}
	return nil
}

// open GETs the object. Its headers must come within the store's timeout, retries included
// (a server that accepts the connection and never answers would otherwise hold the request
// for minutes); the body is then read for as long as ctx allows.
func (s *s3) open(ctx context.Context, key string) (*Object, error) {
	get, cancel := context.WithCancel(ctx)
	deadline := time.AfterFunc(s.timeout, cancel)
	obj, err := s.client.GetObject(get, s.bucket, key, minio.GetObjectOptions{})
	var st minio.ObjectInfo
	if err == nil {
		st, err = obj.Stat() // sends the GET; its body is what the first Read returns
	}
	if !deadline.Stop() {
		err = fmt.Errorf("no answer within %s: %w", s.timeout, context.DeadlineExceeded)
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		cancel()
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		return nil, s.notFound(ctx, s.err(err))
	}
	return &Object{ReadSeekCloser: &lazySeeker{obj: obj, size: st.Size, cancel: cancel}, Info: objectInfo(st)}, nil
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

// err sorts an S3 error: a missing key is ErrNotFound; a missing bucket, a full store or a
// refusal (credentials, a policy, encryption, KMS) is ErrUnavailable, since no retry helps
// until the store or an operator acts. Anything else (timeouts, resets, 5xx) is returned as it
// is: worth another try.
func (s *s3) err(err error) error {
	var resp minio.ErrorResponse
	if err == nil || !errors.As(err, &resp) {
		return err
	}
	switch {
	case resp.Code == "NoSuchKey", resp.Code == "NotFound":
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case resp.Code == "NoSuchBucket":
		return fmt.Errorf("%w: bucket %s does not exist", ErrUnavailable, s.bucket)
	case resp.StatusCode == http.StatusInsufficientStorage, resp.Code == "XMinioStorageFull",
		resp.Code == "XMinioAdminBucketQuotaExceeded", resp.Code == "QuotaExceeded":
		return fmt.Errorf("%w: bucket %s: %d %s: %s", ErrFull, s.bucket, resp.StatusCode, resp.Code, resp.Message)
	case credentialCodes[resp.Code]:
		return fmt.Errorf("%w: credentials refused for bucket %s: %s", ErrRefused, s.bucket, resp.Code)
	case resp.Code == "AccessDenied", resp.Code == "AllAccessDisabled",
		strings.HasPrefix(resp.Code, "KMS.") && resp.Code != "KMS.ThrottlingException",
		resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden:
		// A policy (s3:PutObject not granted, encryption headers required), a KMS key we may
		// not use: the message says which.
		return fmt.Errorf("%w: bucket %s refused the request: %s: %s", ErrRefused, s.bucket, resp.Code, resp.Message)
	}
	return fmt.Errorf("%d %s: %w", resp.StatusCode, resp.Code, err) // the message alone may not say
}

// credentialCodes are the S3 error codes of credentials that are wrong, expired or malformed.
var credentialCodes = map[string]bool{
	"InvalidAccessKeyId": true, "SignatureDoesNotMatch": true, "ExpiredToken": true, "InvalidToken": true,
	"TokenRefreshRequired": true, "AuthorizationHeaderMalformed": true, "AccountProblem": true,
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
	mu     sync.Mutex
	obj    *minio.Object
	cancel context.CancelFunc // of the GET
	size   int64
	pos    int64 // where the next Read reads
	at     int64 // where the object's stream is
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

func (l *lazySeeker) Close() error {
	defer l.cancel()
	return l.obj.Close()
}
