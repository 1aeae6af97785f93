package e2e

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store/storetest"
)

// Fault tests of outcomes that cannot be recorded or published for a while: Postgres that
// refuses writes, Postgres that stops answering, a broker that blocks publishing. Each holds
// its fault for faultDuration with photos in flight, one of which answers 503 in that window
// (so that a retry has to be recorded and published), and checks afterwards that every photo
// completed after its own attempts only, downloaded no more than those, and that intake came
// back by itself. The daemon must not spin meanwhile: in a child process, its CPU time during
// the fault is bounded (the bug this guards against used half a CPU, redelivering in a loop).

// faultDuration is how long each fault is held once the daemon has paused for it.
const faultDuration = 5 * time.Second

// maxCPUDuringFault bounds the CPU time a paused daemon may use while a fault lasts: a quarter
// of the fault's duration, a bound and not a timing. Held outcomes wait for a probe with a
// growing delay, so a daemon that does not spin uses a small fraction of it, race detector
// included.
const maxCPUDuringFault = faultDuration / 4

// checkCompletedAfterFault checks a batch after a fault during which the photo of urls[4]
// answered 503 once: every photo completed, that one after two attempts and two downloads,
// every other one after one of each, no thumbnail row twice; and logs the fault table's row.
func (s *services) checkCompletedAfterFault(t *testing.T, fault string, urls []string, ids []uuid.UUID) {
	t.Helper()
	photos := s.waitSettled(t, ids, batchTimeout)
	o := s.checkOutcome(t, fault, ids)
	o.requireAllCompleted(t)
	o.report(t, fault, s.attempts(t, ids), s.photos.fetches(urls))
	for i, id := range ids {
		want := 1
		if i == 4 {
			want = 2
		}
		if got, n := photos[id].Attempts, s.photos.requestsFor(urls[i]); got != want || n != want {
			t.Errorf("photo %d: %d attempts and %d downloads, want %d of each: an attempt was spent on the fault", i, got, n, want)
		}
	}
}

// Postgres answers but refuses writes for a while (default_transaction_read_only on the
// daemon's database, as on a standby after a failover): the outcomes of the photos in flight
// are held, intake pauses, and nothing spins; once writes are accepted again the daemon finds
// out by itself (no restart, no reconnect forced), records them and resumes.
func TestFaultPostgresReadOnly(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	c := startChild(t, svc.childEnv(), "serve")
	addrs := c.waitStarted(t)
	urls, ids := svc.startBatch(t, addrs.HTTP, "readonly", 12, 4)
	svc.photos.fail(urls[4], http.StatusServiceUnavailable, 1)

	storetest.ReadOnly(t, svc.uri, true)
	t.Cleanup(func() { storetest.ReadOnly(t, svc.uri, false) })
	terminateBackends(t, svc.uri) // the sessions that come next refuse writes
	svc.photos.releaseAll()
	testkit.EventuallyWithin(t, batchTimeout, "intake to pause", func() bool {
		// "intake paused", or "intake stays paused" after the terminated sessions paused it
		return c.logs.Count(`"msg":"intake `, `paused","component":"pool","reason":"database refuses writes"`) > 0
	})
	// The CPU is measured once the work in flight is done: both released photos held.
	testkit.EventuallyWithin(t, batchTimeout, "both released photos to be held", func() bool {
		return c.logs.Count("cannot record the outcome", ids[4].String()) > 0 && c.logs.Count("cannot record the outcome", ids[5].String()) > 0
	})
	tries := c.logs.Count("cannot record the outcome")
	cpu := c.cpuDuring(t, faultDuration)
	t.Logf("read-only for %s: photoproc used %s of CPU and tried to record held outcomes %d times",
		faultDuration, cpu, c.logs.Count("cannot record the outcome")-tries)
	if cpu > maxCPUDuringFault {
		t.Errorf("photoproc used %s of CPU in %s of read-only Postgres, want at most %s: a hot loop", cpu, faultDuration, maxCPUDuringFault)
	}

	storetest.ReadOnly(t, svc.uri, false)
	svc.checkCompletedAfterFault(t, "postgres read-only", urls, ids)
	if c.logs.Count(`"msg":"intake resumed"`) == 0 {
		t.Error("intake did not resume")
	}
	if n := c.logs.Count(`"msg":"photo failed`); n != 0 {
		t.Errorf("%d photos failed during the fault", n)
	}
}

// Postgres stops answering (a network that drops every packet, no reset): every database call
// gives up after the store's timeout instead of the TCP timeout, minutes later, the outcomes
// in flight are held and intake pauses; when Postgres answers again everything completes.
// (In this process, so the store's timeout can be short; the CPU bound is the other tests'.)
func TestFaultPostgresStopsAnswering(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	pg, err := url.Parse(svc.uri)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, pg.Host)
	h := startDaemonOn(t, svc, func(c *daemon.Config) {
		c.Store.URI = viaProxy(t, svc.uri, proxy.addr())
		c.Store.Timeout = 2 * time.Second
	})
	urls, ids := svc.startBatch(t, h.addrs.HTTP, "silentpg", 12, 4)
	svc.photos.fail(urls[4], http.StatusServiceUnavailable, 1)

	proxy.stall()
	svc.photos.releaseAll()
	testkit.EventuallyWithin(t, batchTimeout, "intake to pause", func() bool {
		return h.logs.Count("intake paused", "database unreachable") > 0
	})
	testkit.EventuallyWithin(t, batchTimeout, "both released photos to be held", func() bool {
		return h.logs.Count("cannot record the outcome", ids[4].String()) > 0 && h.logs.Count("cannot record the outcome", ids[5].String()) > 0
	})
	tries := h.logs.Count("cannot record the outcome")
	start := time.Now()
	testkit.EventuallyWithin(t, faultDuration+time.Minute, "the fault to last", func() bool { return time.Since(start) >= faultDuration })
	tries = h.logs.Count("cannot record the outcome") - tries
	t.Logf("Postgres silent for %s: held outcomes tried %d times", faultDuration, tries)
	// Two held photos, each tried once per probe that finds Postgres back: never a loop.
	if tries > 10 {
		t.Errorf("held outcomes tried %d times in %s of silent Postgres: a loop", tries, faultDuration)
	}

	proxy.restore()
	svc.checkCompletedAfterFault(t, "postgres stops answering", urls, ids)
	if h.logs.Count("intake resumed") == 0 {
		t.Error("intake did not resume")
	}
}

// The broker blocks publishing (connection.blocked, as during a memory alarm), on quorum
// queues: the retry of the photo that answers 503 cannot be published, so its delivery is
// held, neither acked nor handed back (no nack, so the quorum queue's delivery limit is never
// reached, no dead letter); intake pauses, PUT /photos/process answers 503, nothing spins.
// When the alarm clears, the retry is published and everything completes.
func TestFaultBrokerBlocksPublishing(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	proxy := newAMQPProxy(t, brokerAddr(t))
	svc.queue.URI = viaProxy(t, svc.queue.URI, proxy.addr())
	c := startChild(t, svc.childEnv("PHOTOPROC_QUEUE_TYPE=quorum"), "serve")
	addrs := c.waitStarted(t)
	urls, ids := svc.startBatch(t, addrs.HTTP, "blocked", 12, 4)
	svc.photos.fail(urls[4], http.StatusServiceUnavailable, 1)

	proxy.block("memory alarm raised by the test")
	testkit.EventuallyWithin(t, batchTimeout, "photoproc to learn of the alarm", func() bool {
		return c.logs.Count(`"msg":"broker blocks publishing"`) >= 2 // both connections
	})
	svc.photos.releaseAll()
	testkit.EventuallyWithin(t, batchTimeout, "intake to pause", func() bool {
		return c.logs.Count(`"msg":"intake `, `paused","component":"pool","reason":"broker refuses messages"`) > 0
	})
	more := svc.addPhotos(t, svc.photos.batch("blocked-more", 2))
	if status, body := putProcess(t, http.DefaultClient, addrs.HTTP, more); status != http.StatusServiceUnavailable {
		t.Errorf("PUT /photos/process while the broker blocks publishing = %d %s, want 503", status, body)
	}
	// The CPU is measured once the work in flight is done: the 503's retry held (in its
	// download slot), the photos taken before the pause, which need no publish, completed.
	testkit.EventuallyWithin(t, batchTimeout, "the work in flight to be done", func() bool {
		m := parseSamples(scrapeAdmin(t, http.DefaultClient, addrs.Admin))
		return c.logs.Count("cannot publish the outcome", ids[4].String()) > 0 && m["photoproc_pool_downloading"] == 1 &&
			m["photoproc_pool_running_workers"] == 0 && m["photoproc_pool_writing"] == 0
	})
	tries := c.logs.Count("cannot publish the outcome")
	cpu := c.cpuDuring(t, faultDuration)
	t.Logf("publishing blocked for %s: photoproc used %s of CPU and tried to publish the held retry %d times",
		faultDuration, cpu, c.logs.Count("cannot publish the outcome")-tries)
	if cpu > maxCPUDuringFault {
		t.Errorf("photoproc used %s of CPU in %s of blocked publishing, want at most %s: a hot loop", cpu, faultDuration, maxCPUDuringFault)
	}

	proxy.unblock()
	svc.checkCompletedAfterFault(t, "broker blocks publishing (quorum)", urls, ids)
	if c.logs.Count(`"msg":"intake resumed"`) == 0 {
		t.Error("intake did not resume")
	}
	if _, dead := queuetest.Get(t, queuetest.URI(), queue.DeadQueue(svc.queue)); dead {
		t.Error("a message was dead-lettered")
	}
	pub := testPublisher(t, svc.queue)
	st, err := pub.QueueStats(context.Background())
	if err != nil || st.Messages+st.RetryMessages+st.DeadMessages != 0 {
		t.Errorf("queues after the batch: %+v, %v; want empty", st, err)
	}
}
