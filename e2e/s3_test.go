package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"github.com/photoproc/photoproc/admin"
	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/httpx"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore/s3test"
)

// Whole daemons storing thumbnails in an S3-compatible bucket: a real versitygw on loopback
// (thumbstore/s3test), each test in a bucket of its own.

// The whole pipeline on S3: each thumbnail is an object in the bucket, its row says
// s3://BUCKET/KEY, and the API serves it streamed (with ETag and 304) and, from an API
// process configured for it, as a redirect to a presigned link.
func TestS3EndToEnd(t *testing.T) {
	t.Parallel()
	svc := newS3Services(t, s3test.Shared(t), "")
	h := startDaemonOn(t, svc, nil)
	var want []expected
	for _, w := range corpus(t) {
		switch w.name {
		case "camera-1600x1200.jpg", "camera-2048x1536-orient6.jpg", "small-canon40d.jpg", "orientation/Portrait_5.jpg", "corrupted-truncated.jpg":
			want = append(want, w)
		}
	}
	ids := make([]uuid.UUID, len(want))
	for i, w := range want {
		ids[i] = h.addPhoto(t, h.photoURL(w.name)).UUID
	}
	h.mustProcess(t, ids)
	photos := h.waitSettled(t, ids, batchTimeout)

	presigning := startDaemonOn(t, svc, func(c *daemon.Config) {
		c.Role, c.API.ThumbnailDelivery = daemon.RoleAPI, api.DeliveryPresigned
	})
	rows := thumbnailRows(t, h)
	for i, w := range want {
		id := ids[i]
		t.Run(w.name, func(t *testing.T) {
			if w.failReason != "" {
				if p := photos[id]; p.Status != store.StatusFailed || rows[id] != 0 {
					t.Fatalf("status %s with %d rows, want failed with none", p.Status, rows[id])
				}
				return
			}
			if p := photos[id]; p.Status != store.StatusCompleted || rows[id] != 1 {
				t.Fatalf("status %s (%s) with %d rows, want completed with one", p.Status, p.FailureReason, rows[id])
			}
			checkThumbnail(t, h, id, w) // the row's s3:// URL, and the object it names
			stored := h.readStored(t, h.thumbnailURL(id))
			href := "http://" + h.addrs.HTTP + "/photos/" + id.String() + "/thumbnail"

			resp, body := httpGet(t, http.DefaultClient, href, nil)
			if resp.Status != 200 || string(body) != string(stored) || resp.Header.Get("Content-Type") != "image/jpeg" ||
				!strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
				t.Fatalf("streamed: %d %v, %d bytes; want the %d stored", resp.Status, resp.Header, len(body), len(stored))
			}
			if resp, _ := httpGet(t, http.DefaultClient, href, http.Header{"If-None-Match": {resp.Header.Get("ETag")}}); resp.Status != http.StatusNotModified {
				t.Errorf("If-None-Match the ETag: %d, want 304", resp.Status)
			}

			href = "http://" + presigning.addrs.HTTP + "/photos/" + id.String() + "/thumbnail"
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, _ = httpGet(t, noRedirect, href, nil)
			link := resp.Header.Get("Location")
			if resp.Status != http.StatusFound || !strings.HasPrefix(link, svc.s3.Endpoint+"/") {
				t.Fatalf("presigned: %d to %q, want 302 to the bucket", resp.Status, link)
			}
			if resp, body := httpGet(t, http.DefaultClient, link, nil); resp.Status != 200 || string(body) != string(stored) {
				t.Fatalf("following the presigned link: %d, %d bytes; want the %d stored", resp.Status, len(body), len(stored))
			}

			// The admin page's gallery reads the bucket through its own listener, presigning
			// or not: its images may come from nowhere else.
			href = "http://" + presigning.addrs.Admin + "/api/photos/" + id.String() + "/thumbnail"
			if resp, body := httpGet(t, noRedirect, href, nil); resp.Status != 200 || string(body) != string(stored) || resp.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("admin thumbnail: %d %v, %d bytes; want the %d stored", resp.Status, resp.Header, len(body), len(stored))
			}
		})
	}
	o := h.checkOutcome(t, "S3 end to end", ids)
	if o.completed != len(ids)-1 || o.failed != 1 || o.duplicated != 0 || len(o.orphanFiles) != 0 {
		t.Errorf("outcome %+v", o)
	}
	st, ok := h.status(t)
	if !ok || !strings.HasPrefix(st.Storage, "s3://"+svc.bucket+"/"+s3Prefix+"/") {
		t.Errorf("admin status storage %q, want the bucket", st.Storage)
	}
	resp, body := httpGet(t, http.DefaultClient, "http://"+h.addrs.Admin+"/api/thumbnails", nil)
	var gallery struct{ Thumbnails []admin.GalleryItem }
	if err := json.Unmarshal(body, &gallery); resp.Status != 200 || err != nil || len(gallery.Thumbnails) != len(ids)-1 {
		t.Errorf("admin gallery: %d %s, want the %d thumbnails made", resp.Status, body, len(ids)-1)
	}
}

// Scale-out: two `serve --role=worker` processes on different machines (here: different
// working directories, nothing shared but the services) and one `serve --role=api`, on one
// bucket. Each photo is made once, by either worker, and the API process serves every one.
func TestS3ScaleOut(t *testing.T) {
	t.Parallel()
	svc := newS3Services(t, s3test.Shared(t), "")
	env := svc.childEnv()
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	workers := []*child{startChildIn(t, dirs[0], env, "serve", "--role=worker"), startChildIn(t, dirs[1], env, "serve", "--role=worker")}
	for _, w := range workers {
		w.waitStarted(t)
		testkit.EventuallyWithin(t, time.Minute, "the worker to consume", func() bool { return w.logs.Count(`"msg":"consuming"`) > 0 })
	}
	apiProc := startChildIn(t, dirs[2], env, "serve", "--role=api")
	addrs := apiProc.waitStarted(t)

	ids := svc.addPhotos(t, svc.photos.batch("scale", 20))
	mustQueue(t, http.DefaultClient, addrs.HTTP, ids)
	svc.waitSettled(t, ids, batchTimeout)
	svc.checkOutcome(t, "S3 scale-out: two workers, one API", ids).requireAllCompleted(t)

	made := []map[string]int{workers[0].thumbnailsMade(), workers[1].thumbnailsMade()}
	for _, id := range ids {
		if n := made[0][id.String()] + made[1][id.String()]; n != 1 {
			t.Errorf("photo %s made %d times, want once", id, n)
		}
		stored := svc.readStored(t, svc.thumbnailURL(id))
		resp, body := httpGet(t, http.DefaultClient, "http://"+addrs.HTTP+"/photos/"+id.String()+"/thumbnail", nil)
		if resp.Status != 200 || string(body) != string(stored) {
			t.Errorf("photo %s from the API process: %d, %d bytes; want the %d stored", id, resp.Status, len(body), len(stored))
		}
	}
	t.Logf("worker 1 made %d thumbnails, worker 2 made %d; the API process served all %d", total(made[0]), total(made[1]), len(ids))
	if total(made[0]) == 0 || total(made[1]) == 0 {
		t.Error("one worker did all the work")
	}
	// Nothing was written beside the processes: the bucket is the only store.
	for _, dir := range append(dirs, svc.thumbs) {
		if entries, _ := filepath.Glob(filepath.Join(dir, "*")); len(entries) != 0 {
			t.Errorf("%s holds %v, want nothing", dir, entries)
		}
	}
}

// The store is stopped mid-batch, with photos completed, downloading and queued, and started
// again later: the photos whose thumbnails could not be stored are held, intake pauses and
// /readyz says not ready while the store is down; once it is back they are stored with no
// attempt spent, and every photo completes, none failed, none twice.
func TestFaultS3StoppedMidBatch(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t) // stopped by this test only
	svc := newS3Services(t, srv, "")
	h := startDaemonOn(t, svc, nil)
	ids := h.startBatch(t, "s3stop", 16, 4)
	pub := testPublisher(t, h.cfg.Queue)

	srv.Stop(t)
	h.photos.releaseAll() // the held photos download, and cannot be stored
	testkit.EventuallyWithin(t, batchTimeout, "intake to pause with the unfinished photos held", func() bool {
		st, err := pub.QueueStats(context.Background())
		return err == nil && st.Consumers == 0 && h.logs.Count("thumbnail storage unavailable: holding the photo") > 0
	})
	if h.readyz() != http.StatusServiceUnavailable {
		t.Error("/readyz is ready with the store stopped")
	}
	if n := h.countStatus(ids, store.StatusFailed); n != 0 {
		t.Errorf("%d photos failed while the store was down", n)
	}

	srv.Restart(t)
	h.waitSettled(t, ids, batchTimeout)
	h.checkOutcome(t, "S3 store stopped mid-batch, then restarted", ids).requireAllCompleted(t)
	for _, line := range []string{"thumbnail storage unavailable: holding the photo", "intake paused", "intake resumed"} {
		if h.logs.Count(line) == 0 {
			t.Errorf("%q not logged", line)
		}
	}
	if n := h.logs.Count("photo failed"); n != 0 {
		t.Errorf("%d photos failed while the store was down", n)
	}
}

// The bucket does not exist (yet): the daemon starts, says not ready, takes photos and holds
// them with a clear line instead of failing them, and pauses; once the bucket exists it stores
// them, resumes by itself and completes them all.
func TestFaultS3MissingBucket(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	bucket := srv.BucketName()
	srv.RemoveOnCleanup(t, bucket)
	svc := newS3Services(t, srv, bucket)
	h := launchDaemon(t, svc, nil)
	var checks map[string]string
	testkit.EventuallyWithin(t, time.Minute, "the broker connections up and the storage check failing", func() bool {
		checks = h.readyChecks(t)
		return checks["rabbitmq"] == "ok" && checks["rabbitmq-consume"] == "ok" && checks["storage"] == "unavailable"
	})
	if h.readyz() != http.StatusServiceUnavailable {
		t.Errorf("/readyz is ready without the bucket: %v", checks)
	}

	ids := h.addPhotos(t, h.photos.batch("nobucket", 8))
	h.mustProcess(t, ids)
	pub := testPublisher(t, h.cfg.Queue)
	testkit.EventuallyWithin(t, batchTimeout, "intake to pause with the photos taken held", func() bool {
		st, err := pub.QueueStats(context.Background())
		return err == nil && st.Consumers == 0 && h.logs.Count("bucket "+bucket+" does not exist") > 0
	})
	if n := h.countStatus(ids, store.StatusFailed); n != 0 {
		t.Errorf("%d photos failed for a missing bucket", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Client(t).MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitReady(t)
	h.waitSettled(t, ids, batchTimeout)
	h.checkOutcome(t, "S3 bucket missing, then made", ids).requireAllCompleted(t)
	if n := h.logs.Count("photo failed"); n != 0 {
		t.Errorf("%d photos failed for a missing bucket", n)
	}
}

// readyChecks is the admin listener's /readyz checks by name; nil when it does not answer.
func (h *harness) readyChecks(t *testing.T) map[string]string {
	t.Helper()
	return readyChecksAt(h.http, h.addrs.Admin)
}

// readyChecksAt is the /readyz checks by name of the listener at addr; nil when it does not
// answer.
func readyChecksAt(c *http.Client, addr string) map[string]string {
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body httpx.ReadyStatus
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil
	}
	return body.Checks
}

// httpGet sends a GET with header through c.
func httpGet(t *testing.T, c *http.Client, url string, header http.Header) (testkit.Response, []byte) {
	t.Helper()
	req := testkit.Request(t, http.MethodGet, url, "")
	maps.Copy(req.Header, header)
	resp := testkit.Do(t, c, req)
	return resp, resp.Body
}

// The store answers 503 and 500 to the first uploads of each thumbnail, more often than the
// S3 client retries by itself: the photo's attempt fails as a transient error, is retried
// through the delay queue, and completes on its next attempt. The probe written after each
// failure went through, so intake never paused.
func TestFaultS3ServerErrors(t *testing.T) {
	t.Parallel()
	svc := newS3Services(t, s3test.Shared(t), "")
	faulty := newFailingPuts(t, svc.s3.Endpoint, 3) // minio-go tries each request 3 times
	h := startDaemonOn(t, svc, func(c *daemon.Config) { c.ThumbStore.S3.Endpoint = faulty.URL })
	ids := h.addPhotos(t, h.photos.batch("s3-5xx", 6))
	h.mustProcess(t, ids)
	photos := h.waitSettled(t, ids, batchTimeout)
	h.checkOutcome(t, "S3 answering 5xx to the first uploads", ids).requireAllCompleted(t)
	for _, id := range ids {
		if p := photos[id]; p.Attempts != 2 {
			t.Errorf("photo %s completed after %d attempts, want 2 (one retry through the delay queue)", id, p.Attempts)
		}
	}
	if n := h.logs.Count("will retry", "503 SlowDown"); n != len(ids) {
		t.Errorf("%d retries logged for a 503 from the store, want one per photo", n)
	}
	if n := h.logs.Count("intake paused"); n != 0 {
		t.Errorf("intake paused %d times for a store that answered its check", n)
	}
}

// newFailingPuts is a reverse proxy to an S3 server that answers the first n uploads of each
// thumbnail with a 5xx S3 error (503 SlowDown, then 500 InternalError) and passes everything
// else, the storage probe's writes included: the store fails some writes, not all.
func newFailingPuts(t *testing.T, target string, n int) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	puts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && !strings.Contains(r.URL.Path, "/.photoproc-probe/") {
			mu.Lock()
			puts[r.URL.Path]++
			k := puts[r.URL.Path]
			mu.Unlock()
			if k <= n {
				_, _ = io.Copy(io.Discard, r.Body)
				status, code := http.StatusServiceUnavailable, "SlowDown"
				if k%2 == 0 {
					status, code = http.StatusInternalServerError, "InternalError"
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test</Message><Resource>%s</Resource></Error>`, code, r.URL.Path)
				return
			}
		}
		proxy.ServeHTTP(w, r) // the Host header stays the proxy's, which the request was signed for
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Credentials the store refuses: not ready, the photos taken held with a line saying so, none
// failed. Restarted with the right ones, the daemon completes them all.
func TestFaultS3CredentialsRefused(t *testing.T) {
	t.Parallel()
	svc := newS3Services(t, s3test.Shared(t), "")
	wrong := launchDaemon(t, svc, func(c *daemon.Config) { c.ThumbStore.S3.SecretAccessKey = "not-the-secret" })
	testkit.EventuallyWithin(t, time.Minute, "the broker connections up and the storage check failing", func() bool {
		checks := wrong.readyChecks(t)
		return checks["rabbitmq"] == "ok" && checks["rabbitmq-consume"] == "ok" && checks["storage"] == "refused"
	})
	ids := wrong.addPhotos(t, wrong.photos.batch("badkey", 6))
	wrong.mustProcess(t, ids)
	pub := testPublisher(t, wrong.cfg.Queue)
	testkit.EventuallyWithin(t, batchTimeout, "intake to pause with the photos taken held", func() bool {
		st, err := pub.QueueStats(context.Background())
		return err == nil && st.Consumers == 0 && wrong.logs.Count("credentials refused") > 0
	})
	if n := wrong.countStatus(ids, store.StatusFailed); n != 0 {
		t.Errorf("%d photos failed for refused credentials", n)
	}
	if err := wrong.stop(); err != nil {
		t.Fatal(err)
	}

	right := startDaemonOn(t, svc, nil)
	right.waitSettled(t, ids, batchTimeout)
	right.checkOutcome(t, "S3 credentials refused, then the right ones", ids).requireAllCompleted(t)
}
