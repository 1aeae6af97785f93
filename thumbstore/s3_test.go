package thumbstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/photoproc/photoproc/thumbstore"
	"github.com/photoproc/photoproc/thumbstore/s3test"
)

// Every test here runs against a real S3-compatible server (versitygw), each in a bucket of
// its own.

func openS3(t *testing.T, cfg thumbstore.Config, obs thumbstore.Observer) *thumbstore.Store {
	t.Helper()
	s, err := thumbstore.Open(cfg, thumbstore.Deps{Metrics: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestS3PutOpenStat(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	bucket := srv.Bucket(t)
	obs := &observer{}
	s := openS3(t, srv.Config(bucket, "thumbs/"), obs)
	ctx := context.Background()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check = %v", err)
	}
	data := bytes.Repeat([]byte("thumbnail "), 1000)
	url, err := s.Put(ctx, "a.jpg", data)
	if err != nil || url != "s3://"+bucket+"/thumbs/a.jpg" {
		t.Fatalf("Put = %q, %v; want s3://%s/thumbs/a.jpg", url, err, bucket)
	}
	st, err := srv.Client(t).StatObject(ctx, bucket, "thumbs/a.jpg", minio.StatObjectOptions{})
	if err != nil || st.Size != int64(len(data)) || st.ContentType != "image/jpeg" || !strings.Contains(st.Metadata.Get("Cache-Control"), "max-age") {
		t.Fatalf("stored object %+v, %v; want %d bytes of image/jpeg with Cache-Control", st, err, len(data))
	}

	obj, err := s.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Open read %d bytes, %v; want the %d stored", len(got), err, len(data))
	}
	if obj.Size != int64(len(data)) || !strings.HasPrefix(obj.ETag, `"`) || obj.ModTime.IsZero() {
		t.Errorf("Open info %+v", obj.Info)
	}
	info, err := s.Stat(ctx, url)
	if err != nil || info.ETag != obj.ETag || info.Size != obj.Size {
		t.Errorf("Stat = %+v, %v; want %+v", info, err, obj.Info)
	}
	if _, err := s.Open(ctx, "s3://"+bucket+"/thumbs/missing.jpg"); !errors.Is(err, thumbstore.ErrNotFound) {
		t.Errorf("Open of a missing key = %v, want ErrNotFound", err)
	}
	// A row written while thumbnails were in a local directory reads the key under the prefix.
	if legacy, err := s.Open(ctx, "a.jpg"); err != nil {
		t.Errorf("Open of a local row's path = %v, want the key under the prefix", err)
	} else {
		legacy.Close()
	}
	if _, err := s.Open(ctx, "s3://another-bucket/thumbs/a.jpg"); !errors.Is(err, thumbstore.ErrNotFound) {
		t.Errorf("Open of another bucket's URL = %v, want ErrNotFound", err)
	}
	if obs.count("put", "") != 1 || obs.count("open", "") != 2 || obs.count("open", thumbstore.KindNotFound) != 2 {
		t.Errorf("observed %v", obs.seen)
	}
}

// http.ServeContent on an S3 object: whole, a range, and a conditional request.
func TestS3ServeContent(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	s := openS3(t, srv.Config(srv.Bucket(t), ""), nil)
	data := []byte("0123456789abcdefghij")
	url, err := s.Put(context.Background(), "a.jpg", data)
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obj, err := s.Open(r.Context(), url)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer obj.Close()
		w.Header().Set("ETag", obj.ETag)
		http.ServeContent(w, r, "", obj.ModTime, obj)
	}))
	defer h.Close()
	get := func(header ...string) (int, string, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, h.URL, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	status, body, hdr := get()
	if status != 200 || body != string(data) || hdr.Get("Content-Length") != "20" {
		t.Fatalf("GET = %d %q %v", status, body, hdr)
	}
	if status, body, _ := get("Range", "bytes=5-9"); status != http.StatusPartialContent || body != "56789" {
		t.Errorf("GET bytes=5-9 = %d %q", status, body)
	}
	if status, _, _ := get("If-None-Match", hdr.Get("ETag")); status != http.StatusNotModified {
		t.Errorf("GET If-None-Match = %d, want 304", status)
	}
}

func TestS3Presign(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	s := openS3(t, srv.Config(srv.Bucket(t), "p"), nil)
	url, err := s.Put(context.Background(), "a.jpg", []byte("presigned"))
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.Presign(context.Background(), url, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, srv.Endpoint+"/") || !strings.Contains(link, "X-Amz-Signature=") {
		t.Fatalf("presigned %q, want a signed link on %s", link, srv.Endpoint)
	}
	resp, err := http.Get(link) // no credentials
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "presigned" {
		t.Fatalf("GET presigned = %d %q", resp.StatusCode, b)
	}
}

func TestS3PublicBaseURL(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	bucket := srv.Bucket(t)
	cfg := srv.Config(bucket, "thumbs")
	cfg.PublicBaseURL = "https://cdn.example.com"
	s := openS3(t, cfg, nil)
	url, err := s.Put(context.Background(), "a.jpg", []byte("x"))
	if err != nil || url != "https://cdn.example.com/thumbs/a.jpg" {
		t.Fatalf("Put = %q, %v; want the base URL + key", url, err)
	}
	obj, err := s.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%q) = %v", url, err)
	}
	obj.Close()
	// A row written before the base URL was set still reads.
	obj, err = s.Open(context.Background(), "s3://"+bucket+"/thumbs/a.jpg")
	if err != nil {
		t.Fatalf("Open of the storage URL = %v", err)
	}
	obj.Close()
}

// A missing bucket and refused credentials make the store unavailable — not a bad photo —
// both for Check and for Put.
func TestS3Unavailable(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	ctx := context.Background()
	missing := srv.Config(srv.BucketName(), "")
	badKey := srv.Config(srv.Bucket(t), "")
	badKey.S3.SecretAccessKey = "wrong"
	for _, tc := range []struct {
		name string
		cfg  thumbstore.Config
		kind string
	}{
		{"missing bucket", missing, thumbstore.KindUnavailable},
		{"wrong secret", badKey, thumbstore.KindRefused},
	} {
		obs := &observer{}
		s := openS3(t, tc.cfg, obs)
		if err := s.Check(ctx); !errors.Is(err, thumbstore.ErrUnavailable) || thumbstore.Kind(err) != tc.kind {
			t.Errorf("%s: Check = %v, want ErrUnavailable of kind %s", tc.name, err, tc.kind)
		}
		if _, err := s.Put(ctx, "a.jpg", []byte("x")); !errors.Is(err, thumbstore.ErrUnavailable) {
			t.Errorf("%s: Put = %v, want ErrUnavailable", tc.name, err)
		}
		if obs.count("put", tc.kind) != 1 {
			t.Errorf("%s: observed %v, want one %s put", tc.name, obs.seen, tc.kind)
		}
	}
}

// A bucket that refuses writes while it answers HeadBucket and reads — a policy with
// s3:ListBucket but not s3:PutObject, here versitygw in read-only mode, which answers
// AccessDenied as Amazon S3 does — is refused for Put and Probe, and Check (what /readyz asks)
// says so, though the bucket is there. Thumbnails stored before are still read. Once writes
// are accepted again the probe passes, and leaves no sentinel behind.
func TestS3WritesRefused(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	obs := &observer{}
	s := openS3(t, srv.Config(bucket, "thumbs"), obs)
	ctx := context.Background()
	url, err := s.Put(ctx, "before.jpg", []byte("before"))
	if err != nil {
		t.Fatal(err)
	}

	srv.SetReadOnly(t, true)
	_, err = s.Put(ctx, "during.jpg", []byte("during"))
	if !errors.Is(err, thumbstore.ErrRefused) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Put to a bucket refusing writes = %v, want ErrRefused saying AccessDenied", err)
	}
	if err := s.Probe(ctx); !errors.Is(err, thumbstore.ErrRefused) {
		t.Fatalf("Probe = %v, want ErrRefused", err)
	}
	if err := s.Check(ctx); thumbstore.Kind(err) != thumbstore.KindRefused {
		t.Fatalf("Check = %v, want it refused: the last write was", err)
	}
	if obs.count("put", thumbstore.KindRefused) != 1 || obs.count("probe", thumbstore.KindRefused) != 1 {
		t.Errorf("observed %v, want a refused put and probe", obs.seen)
	}
	obj, err := s.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open while writes are refused = %v", err)
	}
	obj.Close()

	srv.SetReadOnly(t, false)
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe once writes are accepted = %v", err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check after a probe passed = %v", err)
	}
	if _, err := s.Put(ctx, "after.jpg", []byte("after")); err != nil {
		t.Fatal(err)
	}
	if keys := srv.Objects(t, bucket); !slices.Equal(keys, []string{"thumbs/after.jpg", "thumbs/before.jpg"}) {
		t.Errorf("bucket holds %v, want the two thumbnails and no probe sentinel", keys)
	}
}

// A store out of space (MinIO answers 507 XMinioStorageFull) is full, not a passing 5xx.
func TestS3Full(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	cfg := srv.Config(srv.Bucket(t), "")
	cfg.S3.Endpoint = answeringPuts(t, srv.Endpoint, http.StatusInsufficientStorage, "XMinioStorageFull").URL
	s := openS3(t, cfg, nil)
	ctx := context.Background()
	_, err := s.Put(ctx, "a.jpg", []byte("x"))
	if !errors.Is(err, thumbstore.ErrFull) || thumbstore.Kind(err) != thumbstore.KindFull {
		t.Fatalf("Put to a full store = %v (kind %s), want ErrFull", err, thumbstore.Kind(err))
	}
	if err := s.Probe(ctx); !errors.Is(err, thumbstore.ErrFull) {
		t.Fatalf("Probe = %v, want ErrFull", err)
	}
}

// answeringPuts is a reverse proxy to an S3 server that answers every PUT with status and an
// S3 error code, and passes everything else.
func answeringPuts(t *testing.T, target string, status int, code string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			proxy.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test</Message><Resource>%s</Resource></Error>`, code, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// On Amazon S3 a bucket whose name has a dot is addressed by path over HTTPS, where
// BUCKET.s3.amazonaws.com could match no certificate; other buckets by virtual host. The
// addressing shows in a presigned link, which needs no request.
func TestS3BucketAddressing(t *testing.T) {
	t.Parallel()
	pathStyle := true
	for _, tc := range []struct {
		bucket, endpoint string
		pathStyle        *bool
		byPath           bool
	}{
		{"photos", "", nil, false},
		{"photos.example.com", "", nil, true},
		{"photos", "", &pathStyle, true},
		{"photos.example.com", "http://127.0.0.1:9000", nil, true},
	} {
		cfg := thumbstore.DefaultConfig()
		cfg.Location = "s3://" + tc.bucket
		cfg.S3 = thumbstore.S3Config{Endpoint: tc.endpoint, Region: "us-east-1", PathStyle: tc.pathStyle,
			AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
		s := openS3(t, cfg, nil)
		link, err := s.Presign(context.Background(), "s3://"+tc.bucket+"/a.jpg", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		byPath := u.Path == "/"+tc.bucket+"/a.jpg" && !strings.HasPrefix(u.Host, tc.bucket+".")
		byHost := u.Path == "/a.jpg" && strings.HasPrefix(u.Host, tc.bucket+".")
		if byPath != tc.byPath || byHost == tc.byPath {
			t.Errorf("bucket %s at %q (path style %v): link %s; want it addressed by path: %t", tc.bucket, tc.endpoint, tc.pathStyle, link, tc.byPath)
		}
	}
}

// A store that stops answering fails puts with an error worth retrying (not unavailable, not
// not-found), and works again once it is back.
func TestS3StoppedAndRestarted(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	s := openS3(t, srv.Config(srv.Bucket(t), ""), nil)
	ctx := context.Background()
	if _, err := s.Put(ctx, "a.jpg", []byte("before")); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	_, err := s.Put(ctx, "b.jpg", []byte("while stopped"))
	if err == nil || errors.Is(err, thumbstore.ErrUnavailable) || errors.Is(err, thumbstore.ErrNotFound) {
		t.Fatalf("Put with the store stopped = %v, want a transient error", err)
	}
	if k := thumbstore.Kind(err); k != thumbstore.KindUnreachable {
		t.Errorf("Kind(%v) = %s, want %s", err, k, thumbstore.KindUnreachable)
	}
	if err := s.Check(ctx); err == nil {
		t.Error("Check with the store stopped = nil")
	}
	srv.Restart(t)
	if _, err := s.Put(ctx, "b.jpg", []byte("after")); err != nil {
		t.Fatalf("Put after the restart = %v", err)
	}
}

// observer records what the store observed, by operation and error kind.
type observer struct {
	mu   sync.Mutex
	seen map[string]int
}

func (o *observer) ObserveStorage(op string, _ time.Duration, kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = map[string]int{}
	}
	o.seen[op+"/"+kind]++
}

func (o *observer) count(op, kind string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[op+"/"+kind]
}

// An upload to a server that accepts the connection and never answers ends at the deadline,
// as a timeout: worth another try, not a sign of a missing bucket.
func TestS3PutDeadline(t *testing.T) {
	t.Parallel()
	cfg := s3test.Shared(t).Config("photoproc-black-hole", "")
	cfg.S3.Endpoint = "http://" + blackHole(t)
	cfg.Timeout = 300 * time.Millisecond
	s := openS3(t, cfg, nil)
	_, err := s.Put(context.Background(), "a.jpg", []byte("x"))
	if err == nil || errors.Is(err, thumbstore.ErrUnavailable) || thumbstore.Kind(err) != thumbstore.KindTimeout {
		t.Fatalf("Put to a server that never answers = %v (kind %s), want a timeout", err, thumbstore.Kind(err))
	}
}

// Opening a thumbnail on a server that never answers ends at the store's deadline, retries
// included, rather than at the request's (the API's readers would wait minutes otherwise).
func TestS3OpenDeadline(t *testing.T) {
	t.Parallel()
	cfg := s3test.Shared(t).Config("photoproc-black-hole", "")
	cfg.S3.Endpoint = "http://" + blackHole(t)
	cfg.Timeout = 300 * time.Millisecond
	s := openS3(t, cfg, nil)
	_, err := s.Open(context.Background(), "s3://photoproc-black-hole/a.jpg")
	if err == nil || thumbstore.Kind(err) != thumbstore.KindTimeout {
		t.Fatalf("Open on a server that never answers = %v (kind %s), want a timeout", err, thumbstore.Kind(err))
	}
}

// blackHole is the address of a server that accepts connections and never reads or answers.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		held  sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	held.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // read nothing, answer nothing
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		held.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Each format is stored with its own Content-Type, which a public bucket or CDN serves as it is.
func TestS3ContentTypes(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	bucket := srv.Bucket(t)
	s := openS3(t, srv.Config(bucket, "thumbs/"), &observer{})
	ctx := context.Background()
	for name, want := range map[string]string{"a.jpg": "image/jpeg", "a-640.jpg": "image/jpeg", "a-640.webp": "image/webp", "a-640.avif": "image/avif"} {
		if _, err := s.Put(ctx, name, []byte("thumbnail")); err != nil {
			t.Fatal(err)
		}
		if st, err := srv.Client(t).StatObject(ctx, bucket, "thumbs/"+name, minio.StatObjectOptions{}); err != nil || st.ContentType != want {
			t.Errorf("%s stored as %q, %v; want %s", name, st.ContentType, err, want)
		}
	}
}
