package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/photoproc/photoproc/daemon"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
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
	eventually(t, 20*time.Second, fmt.Sprintf("the page to show the database's counts %v", want), func() bool {
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
	eventually(t, 20*time.Second, fmt.Sprintf("the page to show %v", want), func() bool {
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
		addr string
		want []string
	}{
		{h.addrs.HTTP, []string{"/photos/process", "/photos/pending", "/photos/{uuid}/thumbnail"}},
		{h.addrs.Admin, []string{"/api/retry-failed", "/api/requeue-stuck", "/api/status"}},
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

// browser is one headless Chromium tab for a test, with every URL it requested.
type browser struct {
	ctx context.Context

	mu   sync.Mutex
	urls []string
}

// newBrowser starts Chromium with a fresh profile and with every background service that
// would call out (updates, sync, safe browsing, QUIC probes) off, and with extra options; it
// is stopped when the test ends.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := chromiumPath(t)
	profile, err := os.MkdirTemp("", "photoproc-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	var out logBuffer // the browser writes its output from another goroutine
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(&out),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		// Its helper processes may still be writing the profile for a moment.
		eventually(t, 10*time.Second, "the browser profile to be removed", func() bool {
			return os.RemoveAll(profile) == nil
		})
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	b := &browser{ctx: ctx}
	err = chromedp.Listen(ctx, func(ev any) { // starts the browser
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			b.urls = append(b.urls, e.Request.URL)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start chromium %s: %v\n%s", path, err, out.String())
	}
	return b
}

func chromiumPath(t *testing.T) string {
	names := []string{"chromium", "chromium-browser", "/usr/bin/chromium"}
	if p := os.Getenv(EnvChromium); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("chromium not found as %v: install the Debian package 'chromium' (listed in .ci/packages) or set %s to a Chrome or Chromium binary", names, EnvChromium)
	return ""
}

// do runs actions in order, bounded so that a page that never renders fails instead of
// hanging.
func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browserRun(t, b, chromedp.Steps(actions...))
}

// browserRun runs one action that returns a value, bounded like do.
func browserRun[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

func (b *browser) reset() {
	b.mu.Lock()
	b.urls = nil
	b.mu.Unlock()
}

// assertLocal fails unless the page requested something and every request went to addr
// (data: URLs, which the page carries inline, leave nothing).
func (b *browser) assertLocal(t *testing.T, addr string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.urls) == 0 {
		t.Fatal("the browser reported no requests at all")
	}
	for _, raw := range b.urls {
		if strings.HasPrefix(raw, "data:") {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || u.Host != addr {
			t.Errorf("request to %s: everything must come from http://%s", raw, addr)
		}
	}
	t.Logf("%d requests, all to %s", len(b.urls), addr)
}

// counts reads the four status cards of the admin page.
func (b *browser) counts(t *testing.T) map[string]string {
	t.Helper()
	return browserRun(t, b, chromedp.Evaluate[map[string]string](`Object.fromEntries(["pending", "processing", "completed", "failed"].map(
		(k) => [k, document.getElementById("c-" + k).textContent]))`))
}

// waitText waits until the element's text contains want.
func (b *browser) waitText(t *testing.T, sel, want string) {
	t.Helper()
	eventually(t, 20*time.Second, fmt.Sprintf("%s to say %q", sel, want), func() bool {
		return strings.Contains(browserRun(t, b, chromedp.Text(chromedp.CSS(sel))), want)
	})
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
	eventually(t, time.Minute, fmt.Sprintf("%d photos to be %s", len(ids), st), func() bool {
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
	eventually(t, 20*time.Second, "the page to send its requests", func() bool {
		return browserRun(t, b, chromedp.Title()) == "form sent"
	})
	// Each request reached the listener and was refused; the JSON one never got past the
	// browser's preflight, which the listener does not grant.
	for _, path := range []string{"/api/pause", "/api/requeue-stuck", "/api/resume"} {
		eventually(t, 10*time.Second, path+" to be refused", func() bool {
			return h.logs.count(`msg=request`, `method=POST`, `path=`+path, `status=403`) == 1
		})
	}
	if n := h.logs.count(`msg=request`, `method=POST`, `path=/api/retry-failed`); n != 0 {
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
	if n := h.logs.count(`msg=request`, `path=/api/status`, `status=403`); n != 1 {
		t.Errorf("%d refused reads of /api/status logged, want 1", n)
	}

	b.do(t, chromedp.Navigate("http://localhost:"+port+"/"))
	b.waitText(t, "#ready", "ready")
}
