package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/store"
)

// TestMetricsScrapePassesPromtool scrapes a daemon that has processed photos (so histograms
// and labels have values), checks the scrape with `promtool check metrics`, and checks that
// every series docs/contract.md promises is in it and every photoproc series in it is
// named there.
func TestMetricsScrapePassesPromtool(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install the Debian package 'prometheus' (listed in .ci/packages)")
	}
	h := startDaemon(t, nil)
	ids := []uuid.UUID{
		h.addPhoto(t, h.photoURL("small-canon40d.jpg")).UUID,
		h.addPhoto(t, h.photoURL("camera-1600x1200.jpg")).UUID,
		h.addPhoto(t, h.photoURL("no-such-photo.jpg")).UUID,
	}
	if code, body := h.process(t, ids); code != http.StatusAccepted {
		t.Fatalf("PUT /photos/process = %d %s", code, body)
	}
	photos := h.waitSettled(t, ids, time.Minute)
	if photos[ids[0]].Status != store.StatusCompleted || photos[ids[2]].Status != store.StatusFailed {
		t.Fatalf("photos settled as %v, want the first completed and the last failed", photos)
	}

	// The pool counts a photo just after the database records its end: scrape until the
	// counters have caught up with the three photos, or time out naming what they show.
	atLeast := map[string]float64{
		`photoproc_photos_processed_total{outcome="completed"}`: 2,
		`photoproc_photos_processed_total{outcome="failed"}`:    1,
		`photoproc_resize_duration_seconds_count`:               2,
		`photoproc_processing_duration_seconds_count`:           3,
	}
	var scrape []byte
	testkit.EventuallyWithin(t, time.Minute, fmt.Sprintf("the metrics to count at least %v", atLeast), func() bool {
		scrape = h.scrape(t)
		samples := parseSamples(scrape)
		for series, n := range atLeast {
			if samples[series] < n {
				return false
			}
		}
		return true
	})
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}

	samples := parseSamples(scrape)
	for _, want := range []string{
		`photoproc_photos_processed_total{outcome="completed"}`,
		`photoproc_photos_processed_total{outcome="failed"}`,
		`photoproc_photos_processed_total{outcome="retried"}`,
		`photoproc_resize_duration_seconds_bucket{le="0.005"}`,
		`photoproc_resize_duration_seconds_count`,
		`photoproc_processing_duration_seconds_bucket{le="+Inf"}`,
		`photoproc_processing_duration_seconds_sum`,
		`photoproc_pool_running_workers`,
		`photoproc_pool_waiting_tasks`,
		`go_goroutines`,
		`process_cpu_seconds_total`,
	} {
		if _, ok := samples[want]; !ok {
			t.Errorf("scrape lacks %s", want)
		}
	}
	contract, err := os.ReadFile("../docs/contract.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range families(scrape) {
		named := regexp.MustCompile("`" + regexp.QuoteMeta(family) + "[`{]")
		if strings.HasPrefix(family, "photoproc_") && !named.Match(contract) {
			t.Errorf("docs/contract.md does not name %s, which the daemon exports", family)
		}
	}
}

// scrape GETs /metrics in the Prometheus text format, as Prometheus and promtool read it.
func (h *harness) scrape(t *testing.T) []byte {
	t.Helper()
	return scrapeAdmin(t, h.http, h.addrs.Admin)
}

// scrapeAdmin GETs /metrics from the admin listener at addr.
func scrapeAdmin(t *testing.T, c *http.Client, addr string) []byte {
	t.Helper()
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d %v", resp.StatusCode, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics Content-Type %q, want the text format", ct)
	}
	return body
}

// families returns the metric family names a scrape declares (its # TYPE lines).
func families(scrape []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(scrape))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "# TYPE "); ok {
			name, _, _ := strings.Cut(rest, " ")
			out = append(out, name)
		}
	}
	return out
}

// parseSamples maps each sample line's series (name and labels, as written) to its value.
func parseSamples(scrape []byte) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(scrape))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
