package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore/s3test"
)

// The thumbnail route on an S3 bucket (a real S3-compatible server): streamed with caching
// headers and conditional requests, or redirected to a presigned link.

var thumbJPEG = []byte("\xff\xd8\xff\xe0 a thumbnail in a bucket\xff\xd9")

// storedThumbnail stores a thumbnail for a new photo and records it, and returns the photo's
// thumbnail route and the recorded URL.
func (b *bundle) storedThumbnail(t *testing.T) (href, url string) {
	t.Helper()
	ctx := context.Background()
	p := b.photo(t, nil)
	url, err := b.thumbstore.Put(ctx, p.UUID.String()+".jpg", thumbJPEG)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.store.Claim(ctx, p.UUID, store.ClaimOpts{Lease: time.Minute, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := b.store.Complete(ctx, p.UUID, store.Thumbnail{PhotoUUID: p.UUID, Width: 320, Height: 213, Size: 320, URL: url}); err != nil {
		t.Fatal(err)
	}
	return "/photos/" + p.UUID.String() + "/thumbnail", url
}

func TestThumbnailStreamedFromS3(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	bucket := srv.Bucket(t)
	b := setupWith(t, srv.Config(bucket, "thumbs"), api.DefaultConfig())
	href, url := b.storedThumbnail(t)
	if !strings.HasPrefix(url, "s3://"+bucket+"/thumbs/") {
		t.Fatalf("recorded URL %q, want s3://%s/thumbs/…", url, bucket)
	}

	r := b.do(t, http.MethodGet, href, "")
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/jpeg" || string(r.Body) != string(thumbJPEG) {
		t.Fatalf("GET thumbnail = %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	etag := r.Header.Get("ETag")
	if etag == "" || !strings.Contains(r.Header.Get("Cache-Control"), "max-age") || r.Header.Get("Last-Modified") == "" {
		t.Fatalf("thumbnail lacks caching headers: %v", r.Header)
	}
	if r := b.do(t, http.MethodGet, href, "", "If-None-Match", etag); r.Status != http.StatusNotModified {
		t.Fatalf("conditional GET = %d, want 304", r.Status)
	}
	if r := b.do(t, http.MethodGet, href, "", "Range", "bytes=0-3"); r.Status != http.StatusPartialContent || string(r.Body) != string(thumbJPEG[:4]) {
		t.Fatalf("range GET = %d %q", r.Status, r.Body)
	}

	// Recorded but gone from the bucket: 404, saying so.
	key := strings.TrimPrefix(url, "s3://"+bucket+"/")
	if err := srv.Client(t).RemoveObject(context.Background(), bucket, key, minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if p := b.do(t, http.MethodGet, href, "").Problem(t, http.StatusNotFound); !strings.Contains(p.Detail, "missing from storage") {
		t.Errorf("missing object: %q", p.Detail)
	}
}

func TestThumbnailPresigned(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	cfg := api.DefaultConfig()
	cfg.ThumbnailDelivery = api.DeliveryPresigned
	b := setupWith(t, srv.Config(srv.Bucket(t), ""), cfg)
	href, _ := b.storedThumbnail(t)

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(b.srv.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	link := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(link, srv.Endpoint+"/") || !strings.Contains(link, "X-Amz-Expires=300") {
		t.Fatalf("GET thumbnail = %d, Location %q; want 302 to a 5-minute link on %s", resp.StatusCode, link, srv.Endpoint)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("redirect Cache-Control %q, want private", cc)
	}
	// The link works without credentials, as a browser follows it.
	resp, err = http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != string(thumbJPEG) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET presigned link = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// A bucket that is gone makes the route answer 503 with nothing of the store's error.
func TestThumbnailStorageUnavailable(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	bucket := srv.Bucket(t)
	b := setupWith(t, srv.Config(bucket, ""), api.DefaultConfig())
	href, url := b.storedThumbnail(t)
	c := srv.Client(t)
	if err := c.RemoveObject(context.Background(), bucket, strings.TrimPrefix(url, "s3://"+bucket+"/"), minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	r := b.do(t, http.MethodGet, href, "")
	p := r.Problem(t, http.StatusServiceUnavailable)
	for _, leak := range []string{bucket, "NoSuchBucket", "s3://"} {
		if strings.Contains(string(r.Body), leak) {
			t.Errorf("body leaks %q: %s", leak, r.Body)
		}
	}
	t.Logf("problem: %s", p.Detail)
}
