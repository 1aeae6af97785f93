package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store/storetest"
)

// TestLogFormatChoice: auto is JSON on a pipe or file (containers, the journal) and text on a
// terminal; text and json force one or the other.
func TestLogFormatChoice(t *testing.T) {
	t.Parallel()
	r, pipe, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); pipe.Close() })
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0) // a pseudo-terminal, as a shell gives
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })

	for _, c := range []struct {
		name   string
		w      io.Writer
		format string
		json   bool
	}{
		{"auto on a pipe", pipe, "auto", true},
		{"auto on a terminal", tty, "auto", false},
		{"auto on a buffer", &strings.Builder{}, "auto", true},
		{"text on a pipe", pipe, "text", false},
		{"json on a terminal", tty, "json", true},
	} {
		_, isJSON := newLogger(c.w, c.format, "info").Handler().(*slog.JSONHandler)
		if isJSON != c.json {
			t.Errorf("%s: JSON %v, want %v", c.name, isJSON, c.json)
		}
	}
}

// TestJSONLogsCarryRequestAndPhotoIDs runs `photoproc serve` as a user would, with
// PHOTOPROC_LOG_FORMAT=json, and checks its log: every line is a JSON object; each API access
// line has the request id the response's X-Request-Id header gave (the client's own, or a
// fresh one); each line about processing a photo has its uuid.
func TestJSONLogsCarryRequestAndPhotoIDs(t *testing.T) {
	t.Parallel()
	photos := httptest.NewServer(http.FileServer(http.Dir(testphotos.Dir(t))))
	t.Cleanup(photos.Close)
	env := map[string]string{
		"PG_CONNECTION_URI":            storetest.NewDatabase(t),
		"AMQP_URI":                     queuetest.URI(),
		"PHOTOPROC_QUEUE":              queuetest.Config(t).Queue,
		"PHOTOPROC_HTTP_ADDR":          "127.0.0.1:0",
		"PHOTOPROC_ADMIN_ADDR":         "127.0.0.1:0",
		"PHOTOPROC_THUMBS_DIR":         t.TempDir(),
		"PHOTOPROC_ALLOW_PRIVATE_URLS": "true",
		"PHOTOPROC_WORKERS":            "2",
		"PHOTOPROC_LOG_FORMAT":         "json",
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig(nil, getenv, flag.NewFlagSet("serve", flag.ContinueOnError))
	if err != nil {
		t.Fatal(err)
	}
	queuetest.Cleanup(t, cfg.Queue) // the default retry settings name their own delay queues

	var logs logLines
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve"}, &cliEnv{stdout: io.Discard, stderr: &logs, getenv: getenv})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("serve exited %d", code)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})
	var started map[string]any
	eventually(t, 30*time.Second, "the daemon's JSON line saying it started", func() bool {
		started = logs.first(t, func(l map[string]any) bool { return l["msg"] == "started" })
		return started != nil
	})
	api, admin := "http://"+started["http"].(string), "http://"+started["admin"].(string)
	c := &http.Client{Timeout: 10 * time.Second}
	// "started" comes before the broker connections are up; PUT /photos/process needs them.
	eventually(t, 30*time.Second, "the daemon to report ready", func() bool {
		resp, err := c.Get(admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// Access lines: the client's id is kept; without one, the header gives the id logged.
	for _, r := range []struct{ url, sent string }{
		{api + "/photos/pending", "client-chosen-id-1"},
		{api + "/photos/pending", ""},
		{admin + "/api/status", ""},
	} {
		id := get(t, c, r.url, r.sent)
		if r.sent != "" && id != r.sent {
			t.Errorf("GET %s with X-Request-Id %q answered X-Request-Id %q", r.url, r.sent, id)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9._:-]{8,64}$`).MatchString(id) {
			t.Fatalf("GET %s: X-Request-Id %q", r.url, id)
		}
		path := strings.TrimPrefix(strings.TrimPrefix(r.url, api), admin)
		eventually(t, 10*time.Second, "the access line of request "+id, func() bool {
			return logs.first(t, func(l map[string]any) bool {
				return l["msg"] == "request" && l["request_id"] == id && l["path"] == path &&
					l["method"] == "GET" && l["status"] == float64(200) && l["duration_ms"] != nil
			}) != nil
		})
	}

	// Processing lines: each carries the photo's uuid.
	db := storetest.Pool(t, cfg.Store.URI)
	good := storetest.Photo(ctx, t, db, &storetest.PhotoOpts{URL: photos.URL + "/small-canon40d.jpg"}).UUID
	missing := storetest.Photo(ctx, t, db, &storetest.PhotoOpts{URL: photos.URL + "/no-such-photo.jpg"}).UUID
	body, _ := json.Marshal([]uuid.UUID{good, missing})
	req, _ := http.NewRequest(http.MethodPut, api+"/photos/process", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PUT /photos/process = %s", resp.Status)
	}
	for _, w := range []struct {
		id  uuid.UUID
		msg string
	}{{good, "thumbnail made"}, {missing, "photo failed"}} {
		eventually(t, time.Minute, "a "+w.msg+" line with photo_uuid "+w.id.String(), func() bool {
			return logs.first(t, func(l map[string]any) bool {
				return l["msg"] == w.msg && l["photo_uuid"] == w.id.String()
			}) != nil
		})
	}
	if l := logs.first(t, func(l map[string]any) bool { return l["msg"] == "photo failed" }); !strings.Contains(l["reason"].(string), "404") {
		t.Errorf("the failure line gives no reason: %v", l)
	}
}

// get sends GET url (with X-Request-Id: sent unless empty) and returns the response's
// X-Request-Id.
func get(t *testing.T, c *http.Client, url, sent string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if sent != "" {
		req.Header.Set("X-Request-Id", sent)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %s", url, resp.Status)
	}
	return resp.Header.Get("X-Request-Id")
}

// logLines is a daemon's stderr; every line must be one JSON object.
type logLines struct{ logBuffer }

// first returns the first line for which match holds, or nil. It fails the test on a line
// that is not a JSON object with time, level and msg.
func (b *logLines) first(t *testing.T, match func(map[string]any) bool) map[string]any {
	t.Helper()
	for line := range strings.Lines(b.String()) {
		if !strings.HasSuffix(line, "\n") {
			break // still being written
		}
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		if l["time"] == nil || l["level"] == nil || l["msg"] == nil {
			t.Fatalf("log line without time, level or msg: %s", line)
		}
		if match(l) {
			return l
		}
	}
	return nil
}
