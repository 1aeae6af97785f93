package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// TestProcessRejectsMalformedBodies covers every malformed body the contract names: each gets
// a 4xx problem that says what to fix, and nothing is queued.
func TestProcessRejectsMalformedBodies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	many := make([]string, api.MaxBatch+1)
	for i := range many {
		many[i] = uuid.NewString()
	}
	for _, tc := range []struct {
		name, body string
		status     int
		mention    string // in the detail or an error's message/location
	}{
		{"empty array", `[]`, 422, "length >= 1"},
		{"1001 items", jsonArray(many...), 422, "length <= 1000"},
		{"not uuids", `["4a37b140-022d-4fba-aa25-a0527d15ecf2", "photo-1"]`, 422, "body[1]"},
		{"null", `null`, 422, "array"},
		{"object", `{"uuids": []}`, 422, "array"},
		{"numbers", `[1, 2]`, 422, "string"},
		{"not json", `[4a37b140`, 400, ""},
		{"no body", ``, 400, "body"},
		{"too large", "[" + strings.Repeat(`"4a37b140-022d-4fba-aa25-a0527d15ecf2",`, 2000) + `"x"]`, 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{http.MethodPut, http.MethodPost} {
				p := b.do(t, method, "/photos/process", tc.body).Problem(t, tc.status)
				if tc.mention != "" && !strings.Contains(fmt.Sprintf("%s %+v", p.Detail, p.Errors), tc.mention) {
					t.Errorf("%s: problem %+v does not mention %q", method, p, tc.mention)
				}
			}
		})
	}
	if _, ok := queuetest.Get(t, b.queue.URI, b.queue.Queue); ok {
		t.Fatal("a malformed request queued a message")
	}
}

func TestProcessQueuesPendingAndFailed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pending := b.photo(t, nil)
	failed := b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed})
	completed := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	processing := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	waiting := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: time.Now().Add(time.Hour)})

	r := b.do(t, http.MethodPut, "/photos/process", jsonArray(
		pending.UUID.String(), failed.UUID.String(), completed.UUID.String(), processing.UUID.String(), pending.UUID.String(),
		waiting.UUID.String()))
	if r.Status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var res api.ProcessResult
	r.JSON(t, &res)
	if res.PhotosQueuedCount != 2 || len(res.PhotosQueued) != 2 {
		t.Fatalf("queued %+v, want the pending and the failed photo", res)
	}
	if q := res.PhotosQueued[0]; q.UUID != pending.UUID || q.URL != pending.URL || q.Status != "pending" {
		t.Errorf("first queued = %+v, want %+v", q, pending)
	}
	skipped := map[uuid.UUID]api.SkippedPhoto{}
	for _, s := range res.Skipped {
		skipped[s.UUID] = s
	}
	if len(res.Skipped) != 4 || skipped[completed.UUID].Reason != "already completed" ||
		skipped[processing.UUID].Reason != "being processed" || !strings.Contains(skipped[pending.UUID].Reason, "duplicate") ||
		!strings.Contains(skipped[waiting.UUID].Reason, "waiting for a retry") || skipped[waiting.UUID].Status != "pending" {
		t.Fatalf("skipped = %+v", res.Skipped)
	}
	// The failed photo starts its attempts over, so that its message may claim it.
	if p, _, err := b.store.Photo(t.Context(), failed.UUID); err != nil || p.Status != store.StatusPending || p.Attempts != 0 {
		t.Errorf("failed photo after queueing: %+v, %v; want pending with no attempts", p, err)
	}

	// Exactly one message per queued photo, in the seed's format, persistent.
	got := map[string]bool{}
	for {
		m, ok := queuetest.Get(t, b.queue.URI, b.queue.Queue)
		if !ok {
			break
		}
		var body struct {
			PhotoUUID string `json:"photo_uuid"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatalf("message body %s: %v", m.Body, err)
		}
		if m.DeliveryMode != 2 {
			t.Errorf("message for %s is not persistent", body.PhotoUUID)
		}
		got[body.PhotoUUID] = true
	}
	if len(got) != 2 || !got[pending.UUID.String()] || !got[failed.UUID.String()] {
		t.Fatalf("messages for %v, want one each for the pending and failed photo", got)
	}
}

func TestProcessUnknownUUIDsQueueNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	known := b.photo(t, nil)
	unknown := uuid.New()
	p := b.do(t, http.MethodPut, "/photos/process", jsonArray(known.UUID.String(), unknown.String())).Problem(t, http.StatusNotFound)
	if len(p.Errors) != 1 || p.Errors[0].Value != unknown.String() || p.Errors[0].Location != "body[1]" {
		t.Fatalf("problem errors %+v, want the unknown uuid at body[1]", p.Errors)
	}
	if _, ok := queuetest.Get(t, b.queue.URI, b.queue.Queue); ok {
		t.Fatal("a request with an unknown uuid queued a message")
	}
}

func TestProcessWithoutBrokerIs503(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, nil)
	ctx := t.Context()
	if err := b.pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	pr := b.do(t, http.MethodPut, "/photos/process", jsonArray(p.UUID.String())).Problem(t, http.StatusServiceUnavailable)
	if !strings.Contains(pr.Detail, "nothing was queued") {
		t.Errorf("detail %q does not say nothing was queued", pr.Detail)
	}
	r := b.do(t, http.MethodGet, "/readyz", "")
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"rabbitmq":"unavailable"`) {
		t.Fatalf("readyz = %d %s, want 503 naming rabbitmq", r.Status, r.Body)
	}
}
