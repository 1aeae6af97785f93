package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/testkit"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/store"
)

// EnvChromium overrides where the browser tests look for Chromium.
const EnvChromium = "PHOTOPROC_TEST_CHROMIUM"

// TestAdminPageInBrowser drives the embedded admin page in headless Chromium against a real
// daemon: the page loads nothing from outside the admin listener, its counts are the
// database's, an action without the token is refused, and "retry" with the token requeues
// failed photos that then complete.
func TestAdminPageInBrowser(t *testing.T) {
	t.Parallel()
	const token = "browser-test-token"
	h := startDaemon(t, func(c *daemon.Config) { c.AdminToken = token })

	// Photos at /flaky/ answer 404 until the test flips fixed, then the real photo.
	var fixed atomic.Bool
	jpeg := testphotos.Read(t, "small-canon40d.jpg")
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fixed.Load() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(jpeg)
	}))
	t.Cleanup(flaky.Close)

	h.addPhoto(t, flaky.URL+"/flaky/never-queued-1.jpg")
	h.addPhoto(t, flaky.URL+"/flaky/never-queued-2.jpg")
	good := h.addPhoto(t, h.photoURL("small-canon40d.jpg")).UUID
	var failing []uuid.UUID
	for i := range 3 {
		failing = append(failing, h.addPhoto(t, fmt.Sprintf("%s/flaky/%d.jpg", flaky.URL, i)).UUID)
	}
	if code, body := h.process(t, append([]uuid.UUID{good}, failing...)); code != http.StatusAccepted {
		t.Fatalf("PUT /photos/process = %d %s", code, body)
	}
	for _, p := range h.waitSettled(t, failing, time.Minute) {
		if p.Status != store.StatusFailed || !strings.Contains(p.FailureReason, "404") {
			t.Fatalf("photo %s is %s (%q), want failed with a 404", p.UUID, p.Status, p.FailureReason)
		}
	}
	h.waitSettled(t, []uuid.UUID{good}, time.Minute)

	b := newBrowser(t)
	admin := "http://" + h.addrs.Admin
	b.do(t, chromedp.Navigate(admin+"/"))
	want := h.dbCounts(t)
	if want["failed"] != 3 || want["completed"] != 1 || want["pending"] != 2 {
		t.Fatalf("database counts %v, want 2 pending, 1 completed, 3 failed", want)
	}
	// The page's counts may be a count old: they are counted at most every 15s (store.CountCache).
	testkit.EventuallyWithin(t, time.Minute, fmt.Sprintf("the page to show the database's counts %v", want), func() bool {
		return equalCounts(b.counts(t), want)
	})
	listed := browserRun(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("input.pick")].map((c) => c.value)`))
	for _, id := range failing {
		if !slices.Contains(listed, id.String()) {
			t.Errorf("latest failures list %v lacks failed photo %s", listed, id)
		}
	}
	reasons := browserRun(t, b, chromedp.Text(chromedp.CSS("#failures")))
	if !strings.Contains(reasons, "404") {
		t.Errorf("latest failures do not show the reason: %q", reasons)
	}

	// Without the token the action is refused and the page says why.
	fixed.Store(true)
	b.do(t, chromedp.Click(chromedp.CSS("#retry-all")))
	b.waitText(t, "#msg", "admin token")
	if n := h.dbCounts(t)["failed"]; n != 3 {
		t.Fatalf("%d failed photos after a refused retry, want 3", n)
	}

	// With the token, as a user types it: retry one chosen failure, then all the others.
	b.do(t, chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input.pick[value="%s"]`, failing[0]))),
		chromedp.Click(chromedp.CSS("#retry-chosen")))
	b.waitText(t, "#msg", "Queued 1 photo(s)")
	h.waitStatus(t, failing[:1], store.StatusCompleted)
	if n := h.dbCounts(t)["failed"]; n != 2 {
		t.Fatalf("%d failed photos after retrying one of 3, want 2", n)
	}
	b.do(t, chromedp.Click(chromedp.CSS("#retry-all")))
	b.waitText(t, "#msg", "Queued 2 photo(s)")
	h.waitStatus(t, failing, store.StatusCompleted)
	if rows := thumbnailRows(t, h); rows[failing[0]] != 1 || rows[failing[1]] != 1 || rows[failing[2]] != 1 {
		t.Fatalf("thumbnail rows %v, want one for each retried photo", rows)
	}
	want = map[string]int64{"pending": 2, "processing": 0, "completed": 4, "failed": 0}
	testkit.EventuallyWithin(t, time.Minute, fmt.Sprintf("the page to show %v", want), func() bool {
		return equalCounts(b.counts(t), want)
	})
	b.assertLocal(t, h.addrs.Admin)
}

// TestDocsPagesInBrowser loads both /docs pages (Swagger UI, embedded) in headless Chromium:
// each renders its OpenAPI document's operations with nothing loaded from outside its own
// listener, and "Try it out" on GET /photos/pending returns the pending photos.
func TestDocsPagesInBrowser(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	pending := h.addPhoto(t, h.photoURL("small-canon40d.jpg")).UUID
	b := newBrowser(t)
	for _, c := range []struct {
		addr, shot string
		want       []string
	}{
		{h.addrs.HTTP, "docs.png", []string{"/photos/process", "/photos/pending", "/photos/{uuid}/thumbnail"}},
		{h.addrs.Admin, "admin-docs.png", []string{"/api/retry-failed", "/api/requeue-stuck", "/api/status", "/api/photos/{uuid}", "/api/history"}},
	} {
		b.reset()
		b.do(t, chromedp.Navigate("http://"+c.addr+"/docs"), chromedp.WaitVisible(chromedp.CSS(".opblock")))
		text := browserRun(t, b, chromedp.Text(chromedp.CSS("#swagger-ui")))
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("http://%s/docs does not show %s:\n%s", c.addr, w, text)
			}
		}
		b.assertLocal(t, c.addr)
		b.screenshot(t, c.shot)
	}

	// Try it out, as a person would: open GET /photos/pending, "Try it out", "Execute".
	b.reset()
	op := `.opblock-get:has([data-path="/photos/pending"])`
	b.do(t, chromedp.Navigate("http://"+h.addrs.HTTP+"/docs"), chromedp.WaitVisible(chromedp.CSS(op)),
		chromedp.Click(chromedp.CSS(op+" .opblock-summary-control")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
		chromedp.Click(chromedp.CSS(op+" .execute")))
	b.waitText(t, op+" .live-responses-table", pending.String())
	b.assertLocal(t, h.addrs.HTTP)
}

func equalCounts(page map[string]string, db map[string]int64) bool {
	for _, k := range []string{"pending", "processing", "completed", "failed"} {
		if page[k] != fmt.Sprint(db[k]) {
			return false
		}
	}
	return true
}

func (h *harness) dbCounts(t *testing.T) map[string]int64 {
	t.Helper()
	counts, err := h.store.CountByStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for s, n := range counts {
		out[string(s)] = n
	}
	return out
}

// waitStatus waits until every photo has status st.
func (h *harness) waitStatus(t *testing.T, ids []uuid.UUID, st store.Status) {
	t.Helper()
	testkit.EventuallyWithin(t, time.Minute, fmt.Sprintf("%d photos to be %s", len(ids), st), func() bool {
		photos, err := h.store.Photos(context.Background(), ids)
		if err != nil || len(photos) != len(ids) {
			return false
		}
		for _, p := range photos {
			if p.Status != st {
				return false
			}
		}
		return true
	})
}

// TestAdminRefusesCrossSiteRequestsInBrowser: a page of another site that the operator
// visits sends the admin actions from their browser, as the reporter did (no-cors
// fetch, a text/plain body, a form) to a default admin listener (loopback, no token). None
// may act; the admin page itself, same-origin, still does.
func TestAdminRefusesCrossSiteRequestsInBrowser(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	stuck := h.addPhoto(t, h.photoURL("small-canon40d.jpg")).UUID
	if _, err := h.db.Exec(context.Background(), `UPDATE photos SET status = 'processing', updated_at = now() - interval '1 hour' WHERE uuid = $1`, stuck); err != nil {
		t.Fatal(err)
	}
	admin := "http://" + h.addrs.Admin
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, `<!doctype html><title>evil</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="%[1]s/api/resume" target="sink" enctype="text/plain"><input name='{"a":"' value='"}'></form>
<script>
const sent = [
  fetch("%[1]s/api/pause", {method: "POST", mode: "no-cors", body: "{}"}),
  fetch("%[1]s/api/requeue-stuck", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: '{"older_than":"0s"}'}),
  fetch("%[1]s/api/retry-failed", {method: "POST", mode: "cors", headers: {"Content-Type": "application/json"}, body: "{}"}),
];
document.querySelector("iframe").onload = () => { document.title = "form sent"; };
Promise.allSettled(sent).then(() => document.getElementById("f").submit());
</script>`, admin)
	}))
	t.Cleanup(evil.Close)
	// localhost and 127.0.0.1 are different sites to the browser.
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)

	b := newBrowser(t)
	b.do(t, chromedp.Navigate(evilURL))
	testkit.EventuallyWithin(t, 20*time.Second, "the page to send its requests", func() bool {
		return browserRun(t, b, chromedp.Title()) == "form sent"
	})
	// Each request reached the listener and was refused; the JSON one never got past the
	// browser's preflight, which the listener does not grant.
	for _, path := range []string{"/api/pause", "/api/requeue-stuck", "/api/resume"} {
		testkit.EventuallyWithin(t, 10*time.Second, path+" to be refused", func() bool {
			return h.logs.Count(`msg=request`, `method=POST`, `path=`+path, `status=403`) == 1
		})
	}
	if n := h.logs.Count(`msg=request`, `method=POST`, `path=/api/retry-failed`); n != 0 {
		t.Errorf("the preflighted JSON request reached the listener %d times", n)
	}
	st, ok := h.status(t)
	if !ok || st.Pool == nil || st.Pool.Paused {
		t.Fatalf("after the cross-site page: status %+v", st)
	}
	if n := h.countStatus([]uuid.UUID{stuck}, store.StatusProcessing); n != 1 {
		t.Fatalf("the stuck photo was requeued by the cross-site page")
	}

	// The admin page itself may: same origin, JSON.
	b.reset()
	b.do(t, chromedp.Navigate(admin+"/"), chromedp.Click(chromedp.CSS("#pause")))
	b.waitText(t, "#msg", "Intake paused.")
	if st, ok := h.status(t); !ok || !st.Pool.Paused {
		t.Fatalf("the admin page's pause did not pause: %+v", st.Pool)
	}
	b.do(t, chromedp.Click(chromedp.CSS("#requeue")))
	b.waitText(t, "#msg", "Requeued 1 photo(s).")
	b.do(t, chromedp.Click(chromedp.CSS("#resume")))
	b.waitText(t, "#msg", "Intake resumed.")
	b.assertLocal(t, h.addrs.Admin)
}

// TestAdminRefusesRebindingInBrowser: DNS rebinding, as a browser lives it. Chromium resolves
// rebind.evil.example to 127.0.0.1, as the attacker's DNS would after the page loaded, and the
// page then reads the admin listener as its own origin: the listener must not answer that
// name, for the page or for its reads. localhost still gets the admin page.
func TestAdminRefusesRebindingInBrowser(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	h.addPhoto(t, "http://user:secret@photos.example/private.jpg")
	_, port, _ := strings.Cut(h.addrs.Admin, ":")
	b := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP rebind.evil.example 127.0.0.1"))

	// The attacker's page is theirs, without the listener's Content-Security-Policy: the
	// refusal page stands in for it, its policy bypassed.
	bypassCSP := chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	})
	b.do(t, bypassCSP, chromedp.Navigate("http://rebind.evil.example:"+port+"/"))
	body := browserRun(t, b, chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(body, "PHOTOPROC_ADMIN_HOSTS") || strings.Contains(body, "photoproc admin") {
		t.Fatalf("the admin listener answered rebind.evil.example with:\n%s", body)
	}
	status := browserRun(t, b, chromedp.Evaluate[int](`fetch("/api/status").then((r) => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusForbidden {
		t.Fatalf("GET /api/status as rebind.evil.example: %d, want 403", status)
	}
	if n := h.logs.Count(`msg=request`, `path=/api/status`, `status=403`); n != 1 {
		t.Errorf("%d refused reads of /api/status logged, want 1", n)
	}

	b.do(t, chromedp.Navigate("http://localhost:"+port+"/"))
	b.waitText(t, "#ready", "ready")
}

// TestAdminGalleryDetailsAndChartsInBrowser runs a batch through a daemon and reads it back
// on the admin page in headless Chromium: the gallery shows every thumbnail the batch made, as
// stored (each image loads at the size its photo_thumbnails row records); a thumbnail opens
// its photo's details (source link, status, source size, attempts, stage timings); a lookup
// by UUID shows a failed photo's reason, and an unknown UUID says so; the charts draw the
// batch; and the failed photo's own Retry button, with the token, completes it end to end.
func TestAdminGalleryDetailsAndChartsInBrowser(t *testing.T) {
	t.Parallel()
	const token = "gallery-test-token"
	h := startDaemon(t, func(c *daemon.Config) { c.AdminToken = token })
	var fixed atomic.Bool
	jpeg := testphotos.Read(t, "orientation/Portrait_6.jpg")
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fixed.Load() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(jpeg)
	}))
	t.Cleanup(flaky.Close)

	var urls []string
	for _, name := range []string{"orientation/Landscape_1.jpg", "orientation/Portrait_6.jpg", "small-canon40d.jpg",
		"camera-1600x1200.jpg", "camera-1704x2272-portrait.jpg"} {
		urls = append(urls, h.photoURL(name))
	}
	good := h.addPhotos(t, urls)
	failing := h.addPhoto(t, flaky.URL+"/flaky/photo.jpg").UUID
	h.mustProcess(t, append(slices.Clone(good), failing))
	for id, p := range h.waitSettled(t, append(slices.Clone(good), failing), time.Minute) {
		if want := map[bool]store.Status{true: store.StatusFailed, false: store.StatusCompleted}[id == failing]; p.Status != want {
			t.Fatalf("photo %s (%s) is %s (%q), want %s", id, p.URL, p.Status, p.FailureReason, want)
		}
	}
	rows := thumbnailSizes(t, h)

	b := newBrowser(t, chromedp.WindowSize(1280, 1000))
	admin := "http://" + h.addrs.Admin
	b.do(t, chromedp.Navigate(admin+"/"))
	b.waitGallery(t, rows)

	// A thumbnail opens its photo's details.
	shown := good[3] // camera-1600x1200.jpg
	b.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#gallery button[data-uuid="%s"]`, shown))))
	b.waitText(t, "#d-uuid", shown.String())
	details := b.texts(t, "#d-status", "#d-url", "#d-attempts", "#d-source", "#d-thumb", "#d-timings")
	for sel, want := range map[string]string{"#d-status": "completed", "#d-url": urls[3], "#d-attempts": "1",
		"#d-source": "1600×1200 px", "#d-thumb": fmt.Sprintf("%d×%d px", rows[shown][0], rows[shown][1])} {
		if !strings.Contains(details[sel], want) {
			t.Errorf("details %s = %q, want it to say %q", sel, details[sel], want)
		}
	}
	size := len(testphotos.Read(t, "camera-1600x1200.jpg"))
	if want := fmt.Sprintf("(%s bytes)", formatThousands(size)); !strings.Contains(details["#d-source"], want) {
		t.Errorf("source size %q, want it to say %s", details["#d-source"], want)
	}
	for _, stage := range []string{"download ", "thumbnail ", "store "} {
		if !strings.Contains(details["#d-timings"], stage) {
			t.Errorf("timings %q lack the %sstage", details["#d-timings"], stage)
		}
	}
	if href := browserRun(t, b, chromedp.Evaluate[string](`document.querySelector("#d-url a").href`)); href != urls[3] {
		t.Errorf("source link goes to %q, want %q", href, urls[3])
	}

	// Lookup by UUID: the failed photo, then one that does not exist.
	b.lookup(t, failing.String())
	b.waitText(t, "#d-status", "failed")
	if reason := b.texts(t, "#d-reason")["#d-reason"]; !strings.Contains(reason, "404") {
		t.Errorf("failed photo's reason %q does not say 404", reason)
	}
	unknown := uuid.New()
	b.lookup(t, unknown.String())
	b.waitText(t, "#d-problem", "No photo has the UUID "+unknown.String())

	// Charts: every photo of the batch in the throughput chart, the failure in the failures
	// chart, and a latency. The minute under way is a point, so no minute has to pass.
	testkit.EventuallyWithin(t, 20*time.Second, "the charts to draw the batch", func() bool {
		v := browserRun(t, b, chromedp.Evaluate[map[string]float64](`Object.fromEntries(
			["#chart-throughput circle.completed", "#chart-failures circle.failed", "#chart-latency circle.p95_seconds"].map(
				(sel) => [sel, [...document.querySelectorAll(sel)].reduce((n, c) => n + Number(c.dataset.v), 0)]))`))
		return v["#chart-throughput circle.completed"] == float64(len(good)) && v["#chart-failures circle.failed"] == 1 &&
			v["#chart-latency circle.p95_seconds"] > 0
	})
	b.lookup(t, shown.String())
	b.waitText(t, "#d-status", "completed")
	b.waitImages(t, "#details img")
	b.screenshot(t, "admin.png")

	// The failure's own Retry button, with the token, once its photo is there.
	fixed.Store(true)
	b.do(t, chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#failures tr[data-uuid="%s"] button.retry-one`, failing))))
	b.waitText(t, "#msg", "Queued 1 photo(s)")
	h.waitStatus(t, []uuid.UUID{failing}, store.StatusCompleted)
	b.waitGallery(t, thumbnailSizes(t, h))
	b.lookup(t, failing.String())
	b.waitText(t, "#d-status", "completed")
	b.assertLocal(t, h.addrs.Admin)
}

// thumbnailSizes are the width and height of every photo's thumbnail row.
func thumbnailSizes(t *testing.T, h *harness) map[uuid.UUID][2]int {
	t.Helper()
	rows, err := h.db.Query(context.Background(), `SELECT photo_uuid, width, height FROM photo_thumbnails`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[uuid.UUID][2]int{}
	for rows.Next() {
		var (
			id   uuid.UUID
			w, h int
		)
		if err := rows.Scan(&id, &w, &h); err != nil {
			t.Fatal(err)
		}
		out[id] = [2]int{w, h}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type shownImage struct {
	UUID     string `json:"uuid"`
	Complete bool   `json:"complete"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

// waitGallery waits until the gallery shows exactly the thumbnails of want, each image loaded
// at its natural size, which must be the one its row records.
func (b *browser) waitGallery(t *testing.T, want map[uuid.UUID][2]int) {
	t.Helper()
	var imgs []shownImage
	testkit.EventuallyWithin(t, 20*time.Second, fmt.Sprintf("the gallery to load %d thumbnails", len(want)), func() bool {
		imgs = browserRun(t, b, chromedp.Evaluate[[]shownImage](`[...document.querySelectorAll("#gallery img")].map((i) => (
			{uuid: i.closest("button").dataset.uuid, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))`))
		if len(imgs) != len(want) {
			return false
		}
		for _, img := range imgs {
			if !img.Complete {
				return false
			}
		}
		return true
	})
	for _, img := range imgs {
		size, ok := want[uuid.MustParse(img.UUID)]
		switch {
		case !ok:
			t.Errorf("the gallery shows %s, which has no thumbnail row", img.UUID)
		case img.Width == 0:
			t.Errorf("thumbnail of %s did not load", img.UUID)
		case img.Width != size[0] || img.Height != size[1]:
			t.Errorf("thumbnail of %s is %dx%d, its row says %dx%d", img.UUID, img.Width, img.Height, size[0], size[1])
		}
	}
}

// waitImages waits until every image sel matches has loaded.
func (b *browser) waitImages(t *testing.T, sel string) {
	t.Helper()
	testkit.EventuallyWithin(t, 20*time.Second, sel+" to load", func() bool {
		return browserRun(t, b, chromedp.Evaluate[bool](fmt.Sprintf(`[...document.querySelectorAll(%q)].every((i) => i.complete && i.naturalWidth > 0)`, sel)))
	})
}

// lookup looks a photo up with the page's form, as a person would.
func (b *browser) lookup(t *testing.T, id string) {
	t.Helper()
	b.do(t, chromedp.SetValue(chromedp.CSS("#lookup-uuid"), id), chromedp.Click(chromedp.CSS(`#lookup button[type="submit"]`)))
}

// formatThousands writes n as toLocaleString does in Chromium's default en-US locale.
func formatThousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
