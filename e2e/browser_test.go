package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/photoproc/photoproc/internal/testkit"
)

// EnvArtifacts names the folder browser tests save their screenshots in; default
// test-artifacts at the top of the repository.
const EnvArtifacts = "PHOTOPROC_TEST_ARTIFACTS"

// browser is one headless Chromium tab for a test, with every URL it requested.
type browser struct {
	ctx context.Context

	mu   sync.Mutex
	urls []string
}

// newBrowser starts Chromium with a fresh profile and with every background service that
// would call out (updates, sync, safe browsing, QUIC probes) off, and with extra options; it
// is stopped when the test ends. The profile and the browser's own temporary files
// (/tmp/org.chromium.Chromium.*, which it leaves behind) go in one directory of the test's,
// removed when it ends.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := chromiumPath(t)
	dir, err := os.MkdirTemp("", "photoproc-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	profile, tmp := filepath.Join(dir, "profile"), filepath.Join(dir, "tmp")
	for _, d := range []string{profile, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var out testkit.Buffer // the browser writes its output from another goroutine
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
		chromedp.Env("TMPDIR="+tmp),
		chromedp.CombinedOutput(&out),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		// Its helper processes may still be writing the profile for a moment.
		testkit.EventuallyWithin(t, 10*time.Second, "the browser's directory to be removed", func() bool {
			return os.RemoveAll(dir) == nil
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

// waitText waits until the element's text contains want. The text is read by the page's own
// querySelector, not through DevTools node ids: the page rebuilds parts of itself as it
// refreshes, and a node id taken just before would name a node that is gone.
func (b *browser) waitText(t *testing.T, sel, want string) {
	t.Helper()
	testkit.EventuallyWithin(t, 20*time.Second, fmt.Sprintf("%s to say %q", sel, want), func() bool {
		return strings.Contains(b.texts(t, sel)[sel], want)
	})
}

// texts reads the text of each element sels name; "" for one that is not there.
func (b *browser) texts(t *testing.T, sels ...string) map[string]string {
	t.Helper()
	list, err := json.Marshal(sels)
	if err != nil {
		t.Fatal(err)
	}
	return browserRun(t, b, chromedp.Evaluate[map[string]string](fmt.Sprintf(`Object.fromEntries(%s.map(
		(s) => [s, document.querySelector(s)?.textContent ?? ""]))`, list)))
}

// screenshot saves the whole page the browser shows as name (PNG) in the artefacts folder.
func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	png := browserRun(t, b, chromedp.FullScreenshot(100))
	path := filepath.Join(artifactsDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// artifactsDir is where tests leave what a person may want to look at: $PHOTOPROC_TEST_ARTIFACTS,
// else test-artifacts at the top of the repository (ignored by git).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(EnvArtifacts)
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts") // tests run in e2e/
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
