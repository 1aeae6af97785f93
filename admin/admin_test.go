package admin_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/admin"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

func TestAdminActionsNeedTheToken(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Token: "s3cret", Loopback: true})
	a.do(t, http.MethodPost, "/api/pause", "").Problem(t, http.StatusUnauthorized)
	a.do(t, http.MethodPost, "/api/pause", "", "Authorization", "Bearer wrong").Problem(t, http.StatusUnauthorized)
	if paused, _ := a.pool.Paused(); paused {
		t.Fatal("paused without the token")
	}
	if r := a.do(t, http.MethodPost, "/api/pause", "", "Authorization", "Bearer s3cret"); r.Status != http.StatusOK {
		t.Fatalf("pause with the token = %d %s", r.Status, r.Body)
	}
	if paused, _ := a.pool.Paused(); !paused {
		t.Fatal("not paused")
	}
	// Reads stay open.
	if r := a.do(t, http.MethodGet, "/api/status", ""); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"paused":true`) {
		t.Fatalf("status = %d %s", r.Status, r.Body)
	}
	if r := a.do(t, http.MethodPost, "/api/resume", "", "Authorization", "Bearer s3cret"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"paused":false`) {
		t.Fatalf("resume = %d %s", r.Status, r.Body)
	}
}

func TestAdminActionsRefusedOffLoopbackWithoutToken(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: false})
	p := a.do(t, http.MethodPost, "/api/pause", "").Problem(t, http.StatusForbidden)
	if !strings.Contains(p.Detail, "PHOTOPROC_ADMIN_TOKEN") {
		t.Errorf("detail %q does not say how to enable actions", p.Detail)
	}
	local := setupAdmin(t, admin.Config{Loopback: true})
	if r := local.do(t, http.MethodPost, "/api/pause", ""); r.Status != http.StatusOK {
		t.Fatalf("loopback without token = %d %s", r.Status, r.Body)
	}
}

func TestAdminRetryFailedAndRequeueStuck(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	failed := []store.Photo{
		a.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, FailureReason: "download: 503"}),
		a.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed}),
	}
	a.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	stuck := a.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, UpdatedAt: time.Now().Add(-time.Hour)})

	r := a.do(t, http.MethodGet, "/api/status", "")
	var st admin.Status
	r.JSON(t, &st)
	if st.Counts["failed"] != 2 || st.Counts["processing"] != 1 || len(st.RecentFailures) != 2 || st.Queue == nil || st.Pool == nil {
		t.Fatalf("status = %s", r.Body)
	}

	// Chosen ones first, then all.
	r = a.do(t, http.MethodPost, "/api/retry-failed", jsonObject("uuids", failed[0].UUID.String()))
	var res admin.RetryResult
	r.JSON(t, &res)
	if r.Status != http.StatusAccepted || res.PhotosQueuedCount != 1 || res.PhotosQueued[0].UUID != failed[0].UUID {
		t.Fatalf("retry chosen = %d %s", r.Status, r.Body)
	}
	// The chosen one is pending again once queued: "all" is the other one.
	r = a.do(t, http.MethodPost, "/api/retry-failed", `{}`)
	r.JSON(t, &res)
	if r.Status != http.StatusAccepted || res.PhotosQueuedCount != 1 || res.PhotosQueued[0].UUID != failed[1].UUID {
		t.Fatalf("retry all = %d %s", r.Status, r.Body)
	}

	r = a.do(t, http.MethodPost, "/api/requeue-stuck", `{"older_than":"30m"}`)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), stuck.UUID.String()) {
		t.Fatalf("requeue stuck = %d %s", r.Status, r.Body)
	}
	a.do(t, http.MethodPost, "/api/requeue-stuck", `{"older_than":"soon"}`).Problem(t, http.StatusUnprocessableEntity)

	if n := countMessages(t, a); n != 3 {
		t.Fatalf("%d messages queued, want 3 (1 chosen + 1 all + 1 stuck)", n)
	}
}

func TestAdminPageAndMetrics(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	r := a.do(t, http.MethodGet, "/", "")
	if r.Status != 200 || !strings.Contains(string(r.Body), "photoproc admin") {
		t.Fatalf("admin page = %d", r.Status)
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).Find(r.Body); m != nil {
		t.Fatalf("admin page loads from another origin: %s", m)
	}
	r = a.do(t, http.MethodGet, "/metrics", "")
	for _, name := range []string{"photoproc_photos_processed_total", "photoproc_resize_duration_seconds", "photoproc_processing_duration_seconds"} {
		if !strings.Contains(string(r.Body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// completed makes a completed photo with a stored thumbnail of w×h, recorded as the pool
// records one: with its source and stage timings.
func (b *bundle) completed(t *testing.T, w, h int, src store.Source, took store.Timings) (store.Photo, []byte) {
	t.Helper()
	ctx := context.Background()
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	data := []byte("\xff\xd8 thumbnail of " + p.UUID.String())
	url, err := b.thumbstore.Put(ctx, p.UUID.String()+".jpg", data)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.Complete(ctx, p.UUID, store.Thumbnail{Width: w, Height: h, Size: 320, URL: url, Source: src, Timings: took}); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestAdminPhotoDetails(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	done, data := a.completed(t, 320, 240, store.Source{Bytes: 123456, Width: 1600, Height: 1200, Format: "jpeg"},
		store.Timings{Download: 150 * time.Millisecond, Thumbnail: 40 * time.Millisecond, Store: 5 * time.Millisecond})
	failed := a.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, FailureReason: "download: 404 Not Found", Attempts: 1})

	var d admin.PhotoDetail
	r := a.do(t, http.MethodGet, "/api/photos/"+done.UUID.String(), "")
	r.JSON(t, &d)
	if r.Status != http.StatusOK || d.UUID != done.UUID || d.URL != done.URL || d.Status != "completed" || d.Attempts != 1 || len(d.Thumbnails) != 1 {
		t.Fatalf("details of the completed photo = %d %s", r.Status, r.Body)
	}
	th := d.Thumbnails[0]
	if th.Width != 320 || th.Height != 240 || th.Format != "jpeg" || !th.Primary || th.Bytes != int64(len(data)) ||
		th.Href != "/api/photos/"+done.UUID.String()+"/thumbnail?format=jpeg&size=320" {
		t.Errorf("thumbnail %+v", th)
	}
	if th.Source == nil || *th.Source != (admin.Source{Bytes: 123456, Width: 1600, Height: 1200, Format: "jpeg"}) {
		t.Errorf("source %+v, want 123456 bytes of 1600x1200 jpeg", th.Source)
	}
	if tm := th.Timings; tm == nil || tm.DownloadSeconds != 0.15 || tm.ThumbnailSeconds != 0.04 || tm.StoreSeconds != 0.005 {
		t.Errorf("timings %+v, want 0.15, 0.04, 0.005 s", tm)
	}

	r = a.do(t, http.MethodGet, "/api/photos/"+failed.UUID.String(), "")
	d = admin.PhotoDetail{}
	r.JSON(t, &d)
	if d.Status != "failed" || d.FailureReason != "download: 404 Not Found" || len(d.Thumbnails) != 0 {
		t.Fatalf("details of the failed photo = %d %s", r.Status, r.Body)
	}

	// A row from before sources and timings were recorded shows them as unknown, not as zero.
	old, _ := a.completed(t, 100, 80, store.Source{}, store.Timings{})
	r = a.do(t, http.MethodGet, "/api/photos/"+old.UUID.String(), "")
	if r.Status != http.StatusOK || bytes.Contains(r.Body, []byte(`"source"`)) || bytes.Contains(r.Body, []byte(`"timings"`)) {
		t.Errorf("details of a thumbnail without source or timings = %d %s", r.Status, r.Body)
	}

	p := a.do(t, http.MethodGet, "/api/photos/"+uuid.NewString(), "").Problem(t, http.StatusNotFound)
	if !strings.Contains(p.Detail, "No photo has this UUID") {
		t.Errorf("unknown photo: %q", p.Detail)
	}
	a.do(t, http.MethodGet, "/api/photos/not-a-uuid", "").Problem(t, http.StatusUnprocessableEntity)
}

func TestAdminGalleryServesThumbnailsFromStorage(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	var made []store.Photo
	stored := map[uuid.UUID][]byte{}
	for i := range 3 {
		p, data := a.completed(t, 320, 200+i, store.Source{}, store.Timings{})
		// Made a minute apart, so that the order does not hang on the clock's resolution.
		if _, err := a.db.Exec(context.Background(), `UPDATE photo_thumbnails SET created_at = now() - $2 * interval '1 minute' WHERE photo_uuid = $1`, p.UUID, 3-i); err != nil {
			t.Fatal(err)
		}
		made = append(made, p)
		stored[p.UUID] = data
	}
	a.photo(t, &storetest.PhotoOpts{Status: store.StatusPending}) // no thumbnail: not in the gallery

	var g struct{ Thumbnails []admin.GalleryItem }
	r := a.do(t, http.MethodGet, "/api/thumbnails?limit=2", "")
	r.JSON(t, &g)
	if r.Status != http.StatusOK || len(g.Thumbnails) != 2 || g.Thumbnails[0].PhotoUUID != made[2].UUID || g.Thumbnails[1].PhotoUUID != made[1].UUID {
		t.Fatalf("gallery of 2 = %d %s, want the last two made, newest first", r.Status, r.Body)
	}
	if g.Thumbnails[0].Width != 320 || g.Thumbnails[0].Height != 202 {
		t.Errorf("gallery item %+v, want 320x202", g.Thumbnails[0])
	}
	r = a.do(t, http.MethodGet, "/api/thumbnails", "")
	r.JSON(t, &g)
	if len(g.Thumbnails) != 3 {
		t.Fatalf("gallery = %s, want all 3", r.Body)
	}
	for _, it := range g.Thumbnails {
		r := a.do(t, http.MethodGet, it.Href, "")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(r.Body, stored[it.PhotoUUID]) {
			t.Errorf("GET %s = %d %q, %d bytes; want the stored JPEG", it.Href, r.Status, r.Header.Get("Content-Type"), len(r.Body))
		}
	}
	a.do(t, http.MethodGet, "/api/thumbnails?limit=0", "").Problem(t, http.StatusUnprocessableEntity)

	pending := a.photo(t, nil)
	p := a.do(t, http.MethodGet, "/api/photos/"+pending.UUID.String()+"/thumbnail", "").Problem(t, http.StatusNotFound)
	if !strings.Contains(p.Detail, "no thumbnail yet") {
		t.Errorf("thumbnail of a pending photo: %q", p.Detail)
	}
	if err := os.Remove(filepath.Join(a.thumbs, made[0].UUID.String()+".jpg")); err != nil {
		t.Fatal(err)
	}
	p = a.do(t, http.MethodGet, "/api/photos/"+made[0].UUID.String()+"/thumbnail", "").Problem(t, http.StatusNotFound)
	if !strings.Contains(p.Detail, "missing from storage") {
		t.Errorf("thumbnail missing from storage: %q", p.Detail)
	}
}

func TestAdminHistoryPerMinute(t *testing.T) {
	t.Parallel()
	a := setupAdmin(t, admin.Config{Loopback: true})
	var h admin.HistoryPoints
	r := a.do(t, http.MethodGet, "/api/history", "")
	r.JSON(t, &h)
	if h.StepSeconds != 60 || len(h.Points) != 1 || h.Points[0].Completed != 0 || h.Points[0].P50 != nil {
		t.Fatalf("history before any work = %s, want the empty minute under way", r.Body)
	}

	// A batch in the first minute: 3 completed, 1 failed.
	for range 3 {
		a.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeCompleted).Inc()
		a.metrics.ProcessingDuration.Observe(0.2)
	}
	a.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeFailed).Inc()
	a.metrics.ProcessingDuration.Observe(2)
	r = a.do(t, http.MethodGet, "/api/history", "")
	r.JSON(t, &h)
	if len(h.Points) != 1 || h.Points[0].Completed != 3 || h.Points[0].Failed != 1 {
		t.Fatalf("history during the batch's minute = %s, want its 3 completed and 1 failed", r.Body)
	}
	// The minute ends when the history is next read after it (or its Run timer fires).
	a.advance(time.Minute + time.Second)
	a.do(t, http.MethodGet, "/api/history", "")
	a.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeCompleted).Inc()
	a.metrics.ProcessingDuration.Observe(0.05)

	r = a.do(t, http.MethodGet, "/api/history", "")
	r.JSON(t, &h)
	if len(h.Points) != 2 {
		t.Fatalf("history = %s, want the first minute and the one under way", r.Body)
	}
	first, now := h.Points[0], h.Points[1]
	if !first.Start.Equal(historyStart) || first.Completed != 3 || first.Failed != 1 || first.P50 == nil || first.P95 == nil || *first.P95 <= *first.P50 {
		t.Errorf("first minute %s, want 3 completed, 1 failed, p95 above p50", r.Body)
	}
	if now.Completed != 1 || now.Failed != 0 || now.P50 == nil || *now.P50 > 0.05 {
		t.Errorf("minute under way %s, want 1 completed within 50 ms", r.Body)
	}
}
