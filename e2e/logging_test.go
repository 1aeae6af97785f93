package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/testkit"
)

// TestJSONLogsCarryRequestAndPhotoIDs runs `photoproc serve` as a user would, with
// PHOTOPROC_LOG_FORMAT=json, and checks its log: every line is a JSON object; each API access
// line has the request id the response's X-Request-Id header gave (the client's own, or a
// fresh one); each line about processing a photo has its uuid.
func TestJSONLogsCarryRequestAndPhotoIDs(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	c := startChild(t, svc.childEnv(), "serve")
	addrs := c.waitStarted(t)
	api, admin := "http://"+addrs.HTTP, "http://"+addrs.Admin
	client := &http.Client{Timeout: 10 * time.Second}
	logs := &logLines{Buffer: c.logs}
	// The start line names the JPEG codec built in; the slow one also gets a warning.
	started := logs.first(t, func(l map[string]any) bool { return l["msg"] == "started" })
	if started["jpeg_codec"] != imaging.JPEGCodec {
		t.Errorf("started line says jpeg_codec %v, want %s", started["jpeg_codec"], imaging.JPEGCodec)
	}
	warned := logs.first(t, func(l map[string]any) bool {
		return strings.Contains(fmt.Sprint(l["msg"]), "image/jpeg") && l["level"] == "WARN"
	}) != nil
	if want := imaging.JPEGCodec != "libjpeg-turbo"; warned != want {
		t.Errorf("warned about the slow JPEG codec: %v, want %v", warned, want)
	}
	// It names the HEIF support too; a build without libheif warns that HEIC and AVIF fail.
	if started["heif_codec"] != imaging.HEIFSupport() {
		t.Errorf("started line says heif_codec %v, want %s", started["heif_codec"], imaging.HEIFSupport())
	}
	warned = logs.first(t, func(l map[string]any) bool {
		return strings.Contains(fmt.Sprint(l["msg"]), "HEIC and AVIF") && l["level"] == "WARN"
	}) != nil
	if want := imaging.HEIFCodec != "libheif"; warned != want {
		t.Errorf("warned about HEIC and AVIF: %v, want %v", warned, want)
	}

	// Access lines: the client's id is kept; without one, the header gives the id logged.
	for _, r := range []struct{ url, sent string }{
		{api + "/photos/pending", "client-chosen-id-1"},
		{api + "/photos/pending", ""},
		{admin + "/api/status", ""},
	} {
		id := get(t, client, r.url, r.sent)
		if r.sent != "" && id != r.sent {
			t.Errorf("GET %s with X-Request-Id %q answered X-Request-Id %q", r.url, r.sent, id)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9._:-]{8,64}$`).MatchString(id) {
			t.Fatalf("GET %s: X-Request-Id %q", r.url, id)
		}
		path := strings.TrimPrefix(strings.TrimPrefix(r.url, api), admin)
		testkit.EventuallyWithin(t, 10*time.Second, "the access line of request "+id, func() bool {
			return logs.first(t, func(l map[string]any) bool {
				return l["msg"] == "request" && l["request_id"] == id && l["path"] == path &&
					l["method"] == "GET" && l["status"] == float64(200) && l["duration_ms"] != nil
			}) != nil
		})
	}

	// Processing lines: each carries the photo's uuid.
	good := svc.addPhoto(t, svc.photoURL("small-canon40d.jpg")).UUID
	missing := svc.addPhoto(t, svc.photoURL("no-such-photo.jpg")).UUID
	body, _ := json.Marshal([]uuid.UUID{good, missing})
	req, _ := http.NewRequest(http.MethodPut, api+"/photos/process", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
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
		testkit.EventuallyWithin(t, time.Minute, "a "+w.msg+" line with photo_uuid "+w.id.String(), func() bool {
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
type logLines struct{ *testkit.Buffer }

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
