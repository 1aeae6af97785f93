package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
)

// Retries, one chain each: a photo waiting for a retry is marked so (pending, with retry_at),
// so that queueing it again, or a stray copy of its message, starts no second chain of
// attempts; and a retry whose message is lost is found and queued again.

// slowRetries makes a retry wait 5 to 10 seconds: long enough for a test to act while a photo
// waits for it.
func slowRetries(c *daemon.Config) {
	c.Pool.Retry.Backoff, c.Pool.Retry.BackoffMax = 10*time.Second, 10*time.Second
}

// waitForRetry waits until the photo is pending with a retry due, and its message is in the
// delay queue.
func (h *harness) waitForRetry(t *testing.T, id uuid.UUID) store.Photo {
	t.Helper()
	pub := testPublisher(t, h.cfg.Queue)
	var p store.Photo
	testkit.EventuallyWithin(t, batchTimeout, "the photo to wait for its retry", func() bool {
		photos, err := h.store.Photos(context.Background(), []uuid.UUID{id})
		st, serr := pub.QueueStats(context.Background())
		p = photos[id]
		return err == nil && serr == nil && p.Status == store.StatusPending && !p.RetryAt.IsZero() && st.RetryMessages == 1
	})
	return p
}

// A photo waiting for a retry, queued again through PUT /photos/process, is reported as
// skipped (its message is queued already); a copy of its message arriving before the retry is
// due (the original redelivered after a lost ack, a duplicate) is acked without work. The
// retry then completes it: two attempts, two downloads, one thumbnail. A failed photo's stray
// message, likewise, does not restart it.
func TestRetryIsOneChain(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, slowRetries)
	urls := h.photos.batch("onechain", 2)
	flaky, gone := urls[0], urls[1]
	h.photos.fail(flaky, http.StatusServiceUnavailable, 1)
	h.photos.fail(gone, http.StatusNotFound, -1)
	ids := h.addPhotos(t, urls)
	h.mustProcess(t, ids)
	h.waitForRetry(t, ids[0])
	h.waitSettled(t, ids[1:], batchTimeout)

	status, body := h.process(t, ids[:1])
	var res api.ProcessResult
	if err := json.Unmarshal(body, &res); status != http.StatusAccepted || err != nil || res.PhotosQueuedCount != 0 ||
		len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "waiting for a retry") {
		t.Fatalf("PUT /photos/process of a photo waiting for its retry = %d %s; want it skipped, nothing queued", status, body)
	}
	pub := testPublisher(t, h.cfg.Queue)
	publish(t, pub, ids[0], ids[1]) // stray copies: of the waiting photo's message, of the failed photo's
	processed := h.waitProcessed(t, 4)
	photos := h.waitSettled(t, ids, batchTimeout)

	if p := photos[ids[0]]; p.Status != store.StatusCompleted || p.Attempts != 2 || h.photos.requestsFor(flaky) != 2 {
		t.Errorf("the retried photo: %s after %d attempts and %d downloads; want completed after 2 of each",
			p.Status, p.Attempts, h.photos.requestsFor(flaky))
	}
	if p := photos[ids[1]]; p.Status != store.StatusFailed || p.Attempts != 1 || h.photos.requestsFor(gone) != 1 {
		t.Errorf("the failed photo: %s after %d attempts and %d downloads; want failed after 1 of each",
			p.Status, p.Attempts, h.photos.requestsFor(gone))
	}
	if processed["skipped"] < 2 {
		t.Errorf("settled %v; want the two stray copies skipped", processed)
	}
	o := h.checkOutcome(t, "queued again while waiting for a retry", ids)
	o.report(t, "queued again / stray copies while waiting for a retry", h.attempts(t, ids), h.photos.fetches(urls))
	if o.completed != 1 || o.failed != 1 || o.duplicated != 0 {
		t.Errorf("outcome %+v, want one completed, one failed by its own 404", o)
	}
}

// A retry whose message is lost (its delay queue purged by hand; a delivery limit would do
// the same) is found by the sweeper once it is a lease overdue, and queued again: the photo
// completes.
func TestRetryWhoseMessageIsLostIsQueuedAgain(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, func(c *daemon.Config) {
		slowRetries(c)
		c.Pool.Lease, c.Pool.SweepInterval = 2*time.Second, time.Second
	})
	url, id := h.failOnce(t, "lostretry")
	h.loseRetries(t, 1)
	photos := h.waitSettled(t, []uuid.UUID{id}, batchTimeout)
	if p := photos[id]; p.Status != store.StatusCompleted || p.Attempts != 2 || h.photos.requestsFor(url) != 2 {
		t.Errorf("photo %s after %d attempts and %d downloads; want completed after 2 of each", p.Status, p.Attempts, h.photos.requestsFor(url))
	}
	if h.logs.Count("requeued retries whose message was lost") == 0 {
		t.Error("the sweeper did not queue the lost retry again: it completed some other way")
	}
	o := h.checkOutcome(t, "retry message lost", []uuid.UUID{id})
	o.report(t, "retry's message purged", h.attempts(t, []uuid.UUID{id}), h.photos.fetches([]string{url}))
	o.requireAllCompleted(t)
}

// overdueRetries are slow retries (5 to 10 s) taken for lost a lease (2 s) after they were due,
// with the sweeper kept out of it: whatever queues the photo again is the operator's request.
func overdueRetries(c *daemon.Config) {
	slowRetries(c)
	c.Pool.Lease, c.Pool.SweepInterval = 2*time.Second, time.Hour
}

// failOnce queues a photo whose first download fails with a 503, and waits until it waits for
// its retry.
func (h *harness) failOnce(t *testing.T, tag string) (string, uuid.UUID) {
	t.Helper()
	url := h.photos.batch(tag, 1)[0]
	h.photos.fail(url, http.StatusServiceUnavailable, 1)
	id := h.addPhoto(t, url).UUID
	h.mustProcess(t, []uuid.UUID{id})
	h.waitForRetry(t, id)
	return url, id
}

// loseRetries purges the delay queues, as an operator by hand or a delivery limit would lose
// the retries' messages, and checks that n were lost.
func (h *harness) loseRetries(t *testing.T, n int) {
	t.Helper()
	purged := 0
	for _, d := range h.cfg.Queue.RetryDelays {
		purged += queuetest.Purge(t, queuetest.URI(), queue.RetryQueue(h.cfg.Queue, d))
	}
	if purged != n {
		t.Fatalf("purged %d messages from the delay queues, want %d", purged, n)
	}
}

// queueWhenOverdue asks PUT /photos/process for the photo until it is queued: skipped while
// its retry is due or less than a lease late, queued once it is later.
func (h *harness) queueWhenOverdue(t *testing.T, id uuid.UUID) {
	t.Helper()
	status, body := h.process(t, []uuid.UUID{id})
	var res api.ProcessResult
	if err := json.Unmarshal(body, &res); status != http.StatusAccepted || err != nil || res.PhotosQueuedCount != 0 ||
		!strings.Contains(res.Skipped[0].Reason, "waiting for a retry") {
		t.Fatalf("PUT /photos/process while the retry is due = %d %s; want it skipped", status, body)
	}
	testkit.EventuallyWithin(t, batchTimeout, "the overdue retry's photo to be queued on request", func() bool {
		status, body := h.process(t, []uuid.UUID{id})
		res = api.ProcessResult{}
		if err := json.Unmarshal(body, &res); status != http.StatusAccepted || err != nil {
			t.Fatalf("PUT /photos/process = %d %s", status, body)
		}
		return res.PhotosQueuedCount == 1
	})
}

// An operator may queue again a photo whose retry message was lost, once the retry is a lease
// overdue: it completes, through the one chain of attempts.
func TestLostRetryQueuedAgainOnRequest(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, overdueRetries)
	url, id := h.failOnce(t, "lostrequest")
	h.loseRetries(t, 1)
	h.queueWhenOverdue(t, id)
	photos := h.waitSettled(t, []uuid.UUID{id}, batchTimeout)
	if p := photos[id]; p.Status != store.StatusCompleted || p.Attempts != 2 || h.photos.requestsFor(url) != 2 {
		t.Errorf("photo %s after %d attempts and %d downloads; want completed after 2 of each", p.Status, p.Attempts, h.photos.requestsFor(url))
	}
	o := h.checkOutcome(t, "retry message lost, queued again on request", []uuid.UUID{id})
	o.requireAllCompleted(t)
}

// A retry that is only late (its message held in the work queue while intake is paused) and a
// message an operator queued once it was overdue: two messages, one chain of attempts. Whichever
// claims the photo first makes the second attempt; the other finds it taken or done, and is
// acked without work.
func TestLateRetryAndRequestAreOneChain(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, overdueRetries)
	url, id := h.failOnce(t, "laterequest")
	h.adminAction(t, "/api/pause")
	h.queueWhenOverdue(t, id)
	pub := testPublisher(t, h.cfg.Queue)
	testkit.EventuallyWithin(t, batchTimeout, "the retry's message and the new one in the work queue", func() bool {
		st, err := pub.QueueStats(context.Background())
		return err == nil && st.Messages == 2 && st.RetryMessages == 0
	})
	h.adminAction(t, "/api/resume")
	processed := h.waitProcessed(t, 2) // both messages: one completes the photo, one is skipped
	photos := h.waitSettled(t, []uuid.UUID{id}, batchTimeout)
	if p := photos[id]; p.Status != store.StatusCompleted || p.Attempts != 2 || h.photos.requestsFor(url) != 2 {
		t.Errorf("photo %s after %d attempts and %d downloads; want completed after 2 of each", p.Status, p.Attempts, h.photos.requestsFor(url))
	}
	if processed["skipped"] < 1 {
		t.Errorf("settled %v; want one of the two messages skipped", processed)
	}
	o := h.checkOutcome(t, "late retry and a request", []uuid.UUID{id})
	o.requireAllCompleted(t)
}

// adminAction posts an admin action (the listener is on loopback, with no token).
func (h *harness) adminAction(t *testing.T, path string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+h.addrs.Admin+path, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s = %s", path, resp.Status)
	}
}
