package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"github.com/photoproc/photoproc/thumbstore/s3test"
)

// holdingPuts is a reverse proxy to an S3 server that holds the first upload of a key ending
// in suffix until its client goes away, saying when one is held; everything else passes.
type holdingPuts struct {
	*httptest.Server
	held chan string // the path of the held upload
	once sync.Once
}

func newHoldingPuts(t *testing.T, target, suffix string) *holdingPuts {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	h := &holdingPuts{held: make(chan string, 1)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hold := false
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, suffix) {
			h.once.Do(func() { hold = true })
		}
		if hold {
			_, _ = io.Copy(io.Discard, r.Body)
			h.held <- r.URL.Path
			<-r.Context().Done() // the client died
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

// photoproc is SIGKILLed in the middle of a set, one file of which is being uploaded while
// others are stored. Nothing was recorded; started again, it takes the photo over and stores
// the set under the same keys, one row per size and format, nothing left over in the bucket.
// Every object carries its format's Content-Type.
func TestCrashInTheMiddleOfASet(t *testing.T) {
	t.Parallel()
	svc := newS3Services(t, s3test.Shared(t), "")
	holding := newHoldingPuts(t, svc.s3.Endpoint, "-640.jpg")
	formats := setFormats()
	env := svc.childEnv("PHOTOPROC_THUMBNAIL_SIZES=320,640", "PHOTOPROC_THUMBNAIL_FORMATS="+formatList(formats),
		"AWS_ENDPOINT_URL_S3="+holding.URL, "PHOTOPROC_LEASE=2s")
	first := startChild(t, env, "serve")
	addrs := first.waitStarted(t)
	id := svc.addPhoto(t, svc.photoURL("camera-1600x1200.jpg")).UUID
	mustQueue(t, &http.Client{Timeout: 30 * time.Second}, addrs.HTTP, []uuid.UUID{id})

	select {
	case path := <-holding.held:
		t.Logf("holding the upload of %s", path)
	case <-time.After(batchTimeout):
		t.Fatal("the upload of the 640 JPEG never came")
	}
	_, before := svc.stored(t)
	p, rows := svc.thumbRows(t, id)
	if !slices.Contains(before, svc.thumbnailURL(id)) || len(rows) != 0 || p.Status != "processing" {
		t.Fatalf("mid-set: stored %v, %d rows, photo %s; want the primary stored, no row, processing", before, len(rows), p.Status)
	}
	if _, code := first.signal(t, syscall.SIGKILL); code != -1 {
		t.Fatalf("SIGKILL: exit code %d", code)
	}

	second := startChild(t, env, "serve")
	second.waitStarted(t)
	svc.waitRows(t, []uuid.UUID{id}, 2*len(formats))
	p, rows = svc.thumbRows(t, id)
	_, after := svc.stored(t)
	var named []string
	for _, r := range rows {
		if !slices.Contains(named, r.URL) {
			named = append(named, r.URL)
		}
		svc.checkStoredFile(t, r)
	}
	slices.Sort(named)
	slices.Sort(after)
	if !slices.Equal(after, named) || p.Attempts != 2 {
		t.Errorf("bucket holds %v, the rows name %v, after %d attempts; want the same, after 2", after, named, p.Attempts)
	}
	for _, u := range before {
		if !slices.Contains(after, u) {
			t.Errorf("%s stored before the kill is named by no row: the keys changed", u)
		}
	}
	for _, u := range after {
		key := strings.TrimPrefix(u, "s3://"+svc.bucket+"/")
		st, err := svc.s3.Client(t).StatObject(context.Background(), svc.bucket, key, minio.StatObjectOptions{})
		want := map[bool]string{true: "image/webp", false: "image/jpeg"}[strings.HasSuffix(key, ".webp")]
		if err != nil || st.ContentType != want {
			t.Errorf("%s: Content-Type %q (%v), want %s", key, st.ContentType, err, want)
		}
	}
}
