package thumbstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
	for name, cfg := range map[string]thumbstore.Config{"missing bucket": missing, "wrong secret": badKey} {
		obs := &observer{}
		s := openS3(t, cfg, obs)
		if err := s.Check(ctx); !errors.Is(err, thumbstore.ErrUnavailable) {
			t.Errorf("%s: Check = %v, want ErrUnavailable", name, err)
		}
		if _, err := s.Put(ctx, "a.jpg", []byte("x")); !errors.Is(err, thumbstore.ErrUnavailable) {
			t.Errorf("%s: Put = %v, want ErrUnavailable", name, err)
		}
		if obs.count("put", thumbstore.KindUnavailable) != 1 {
			t.Errorf("%s: observed %v, want one unavailable put", name, obs.seen)
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
	cfg := s3test.Shared(t).Config("photoproc-black-hole", "")
	cfg.S3.Endpoint = "http://" + ln.Addr().String()
	cfg.Timeout = 300 * time.Millisecond
	s := openS3(t, cfg, nil)
	_, err = s.Put(context.Background(), "a.jpg", []byte("x"))
	if err == nil || errors.Is(err, thumbstore.ErrUnavailable) || thumbstore.Kind(err) != thumbstore.KindTimeout {
		t.Fatalf("Put to a server that never answers = %v (kind %s), want a timeout", err, thumbstore.Kind(err))
	}
}
