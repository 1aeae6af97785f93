package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/testkit"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// Fault-injection tests of one daemon in this process, against the real Postgres and
// RabbitMQ. Each sends a batch of real photos and injects its fault while known photos are in
// flight: the first photos of the batch are completed and the next ones are held mid-download
// by the photo server (see startBatch).

// batchTimeout bounds how long a batch may take to settle after a fault.
const batchTimeout = 2 * time.Minute

// startBatch queues n photos through the API at apiAddr, of which all but the first done are
// held mid-download, and waits until the first done are completed and both download slots hold
// a held photo. It returns the photos' URLs and ids, in the same order.
func (s *services) startBatch(t *testing.T, apiAddr, tag string, n, done int) ([]string, []uuid.UUID) {
	t.Helper()
	urls := s.photos.batch(tag, n)
	s.photos.hold(urls[done:]...)
	ids := s.addPhotos(t, urls)
	mustQueue(t, http.DefaultClient, apiAddr, ids)
	s.waitInFlight(t, ids, done)
	return urls, ids
}

// startBatch is services.startBatch through this daemon's API.
func (h *harness) startBatch(t *testing.T, tag string, n, done int) []uuid.UUID {
	t.Helper()
	_, ids := h.services.startBatch(t, h.addrs.HTTP, tag, n, done)
	return ids
}

// waitInFlight waits until done photos of ids are completed and both download slots (two
// workers, as many downloads: the tests' setting) are held by the photo server.
func (s *services) waitInFlight(t *testing.T, ids []uuid.UUID, done int) {
	t.Helper()
	testkit.EventuallyWithin(t, batchTimeout, "photos completed and downloads held", func() bool {
		return s.countStatus(ids, store.StatusCompleted) == done && s.photos.waitingNow() == 2
	})
}

// The broker force-closes the daemon's connections mid-batch; later it is cut off altogether.
// Deliveries held across the close cannot be acked on their dead channel: the broker
// redelivers them, and each redelivered copy waits for its first copy, then finds the photo
// completed. While
// the broker is gone the daemon reports not ready and refuses to queue; it comes back by
// itself.
func TestFaultBrokerConnectionsClosed(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	proxy := newTCPProxy(t, brokerAddr(t))
	svc.queue.URI = viaProxy(t, svc.queue.URI, proxy.addr())
	h := startDaemonOn(t, svc, nil)

	ids := h.startBatch(t, "broker", 16, 4)
	queuetest.CloseConnections(t, h.cfg.Queue.ConnectionName)
	h.photos.releaseAll()
	h.waitSettled(t, ids, batchTimeout)
	o := h.checkOutcome(t, "broker connections closed", ids)
	o.requireAllCompleted(t)
	if n := h.logs.Count("ack failed"); n == 0 {
		t.Error("no ack failed on a closed channel: the fault missed the photos in flight")
	}
	// The deliveries held across the close come back redelivered while their first copies are
	// still in flight here: they wait for those, find the photo completed, and do no work.
	if made := h.logs.Count("thumbnail made"); made != len(ids) {
		t.Errorf("%d thumbnails made for %d photos: a redelivered photo was processed twice", made, len(ids))
	}

	// The broker gone: not ready, and PUT /photos/process answers 503 until it is back.
	more := h.addPhotos(t, h.photos.batch("broker-more", 4))
	proxy.cut()
	testkit.EventuallyWithin(t, 30*time.Second, "/readyz to report not ready", func() bool { return h.readyz() == http.StatusServiceUnavailable })
	if status, body := h.process(t, more); status != http.StatusServiceUnavailable {
		t.Errorf("PUT /photos/process with the broker gone = %d %s, want 503", status, body)
	}
	proxy.restore()
	h.waitReady(t)
	h.mustProcess(t, more)
	h.waitSettled(t, more, batchTimeout)
	h.checkOutcome(t, "broker gone, then back", more).requireAllCompleted(t)
}

// Postgres terminates every backend of the daemon's database mid-batch, while the daemon's
// statements on the photos in flight are running (waiting on a row lock the test holds): the
// statements fail, the photos are handed back or retried, and none fails or is recorded twice
// because of it.
func TestFaultPostgresBackendsTerminated(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	ids := h.startBatch(t, "pgterm", 16, 4)

	ctx := context.Background()
	locker, err := pgx.Connect(ctx, h.uri)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT FROM photos WHERE uuid = ANY($1) FOR UPDATE`, ids[4:]); err != nil {
		t.Fatal(err)
	}
	// The held photos download and their Complete waits on the lock; so do the claims of the
	// next two, which then take the download slots: four statements in flight.
	h.photos.releaseAll()
	testkit.EventuallyWithin(t, batchTimeout, "the daemon's statements to wait on the lock", func() bool {
		var waiting int
		adminQuery(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
			[]any{dbName(t, h.uri)}, &waiting)
		return waiting == 4
	})
	t.Logf("terminated %d backends", terminateBackends(t, h.uri, locker.PgConn().PID()))
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	h.waitSettled(t, ids, batchTimeout)
	h.checkOutcome(t, "postgres backends terminated", ids).requireAllCompleted(t)
	if n := h.logs.Count("component=pool", "terminating connection due to administrator command"); n < 4 {
		t.Errorf("%d daemon statements failed on a terminated backend, want the 4 in flight", n)
	}
}

// Postgres refuses the daemon's database for a while: the photos in flight are held, their
// outcome neither recorded nor given up on, and none is marked failed; intake pauses (the
// broker sees no consumer and keeps the other messages). When the database is back the held
// outcomes are recorded, intake resumes, and every photo completes, each after one attempt
// and one download: the outage cost no photo an attempt.
func TestFaultPostgresUnreachable(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	urls, ids := h.services.startBatch(t, h.addrs.HTTP, "pgdown", 12, 4)
	pub := testPublisher(t, h.cfg.Queue)

	allowConnections(t, h.uri, false)
	t.Cleanup(func() { allowConnections(t, h.uri, true) })
	if n := terminateBackends(t, h.uri); n == 0 {
		t.Fatal("no backend to terminate: the daemon has no connection to lose")
	}
	h.photos.releaseAll() // the held photos download and cannot be recorded
	testkit.EventuallyWithin(t, batchTimeout, "intake to pause", func() bool {
		st, err := pub.QueueStats(context.Background())
		return err == nil && st.Consumers == 0 && h.logs.Count("intake paused", "database unreachable") > 0
	})
	if h.readyz() != http.StatusServiceUnavailable {
		t.Error("/readyz is ready with the database unreachable")
	}

	allowConnections(t, h.uri, true)
	photos := h.waitSettled(t, ids, batchTimeout)
	h.checkOutcome(t, "postgres unreachable", ids).requireAllCompleted(t)
	for i, id := range ids {
		if p := photos[id]; p.Attempts != 1 || h.photos.requestsFor(urls[i]) != 1 {
			t.Errorf("photo %d: %d attempts, %d downloads; want 1 and 1", i, p.Attempts, h.photos.requestsFor(urls[i]))
		}
	}
	if h.logs.Count("intake resumed") == 0 {
		t.Error(`"intake resumed" not logged`)
	}
	if n := h.logs.Count("photo failed"); n != 0 {
		t.Errorf("%d photos failed while the database was unreachable", n)
	}
}

// A URL that answers 503 twice, then 200, completes on its third attempt; one that always
// answers 500 ends failed after the configured attempts, and its message is in <queue>.dead
// with the reason and the attempt count.
func TestFaultRetriesThenDeadLetter(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, func(c *daemon.Config) {
		c.Pool.Retry.Backoff = 50 * time.Millisecond
		c.Pool.Retry.MaxAttempts = 3
	})
	urls := h.photos.batch("retry", 2)
	flaky, broken := urls[0], urls[1]
	h.photos.fail(flaky, http.StatusServiceUnavailable, 2)
	h.photos.fail(broken, http.StatusInternalServerError, -1)
	ids := h.addPhotos(t, urls)
	h.mustProcess(t, ids)
	photos := h.waitSettled(t, ids, batchTimeout)

	if p := photos[ids[0]]; p.Status != store.StatusCompleted || p.Attempts != 3 || h.photos.requestsFor(flaky) != 3 {
		t.Errorf("503 twice then 200: %s after %d attempts, %d downloads; want completed after 3", p.Status, p.Attempts, h.photos.requestsFor(flaky))
	}
	p := photos[ids[1]]
	if p.Status != store.StatusFailed || p.Attempts != 3 || !strings.Contains(p.FailureReason, "500") {
		t.Errorf("always 500: %s after %d attempts (%q); want failed after 3 with the status", p.Status, p.Attempts, p.FailureReason)
	}
	var dead amqp.Delivery
	testkit.EventuallyWithin(t, 30*time.Second, "the dead letter", func() bool {
		var ok bool
		dead, ok = queuetest.Get(t, queuetest.URI(), queue.DeadQueue(h.cfg.Queue))
		return ok
	})
	if !strings.Contains(string(dead.Body), ids[1].String()) {
		t.Errorf("dead letter %s is not the failed photo's", dead.Body)
	}
	if n, ok := dead.Headers[queue.HeaderAttempts].(int32); !ok || n != 3 {
		t.Errorf("dead letter %s header = %#v, want 3", queue.HeaderAttempts, dead.Headers[queue.HeaderAttempts])
	}
	if r, _ := dead.Headers[queue.HeaderReason].(string); !strings.Contains(r, "500") {
		t.Errorf("dead letter %s header = %q, want the last failure", queue.HeaderReason, r)
	}
	o := h.checkOutcome(t, "503 twice / always 500", ids)
	if o.completed != 1 || o.failed != 1 || o.duplicated != 0 || len(o.tempFiles)+len(o.orphanFiles) != 0 {
		t.Errorf("outcome %+v, want one completed and one failed", o)
	}
}

// The same photo queued twice at once, and again once completed, is processed once: the
// other messages are acked without work.
func TestFaultSamePhotoQueuedTwice(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	url := h.photos.batch("twice", 1)[0]
	id := h.addPhoto(t, url).UUID
	pub := testPublisher(t, h.cfg.Queue)
	publish(t, pub, id, id)
	h.waitSettled(t, []uuid.UUID{id}, batchTimeout)
	h.waitProcessed(t, 2)
	publish(t, pub, id)
	processed := h.waitProcessed(t, 3)

	if processed["completed"] != 1 || processed["skipped"] != 2 || h.photos.requestsFor(url) != 1 {
		t.Errorf("three messages for one photo: %v, %d downloads; want completed once, skipped twice, one download",
			processed, h.photos.requestsFor(url))
	}
	o := h.checkOutcome(t, "same photo queued three times", []uuid.UUID{id})
	o.sent = 1
	o.requireAllCompleted(t)
}

// With PHOTOPROC_QUEUE_TYPE=quorum the daemon declares quorum queues and processes a batch
// end to end, a retry through a quorum delay queue included.
func TestQuorumQueueEndToEnd(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, func(c *daemon.Config) { c.Queue.QueueType = queue.Quorum })
	urls := h.photos.batch("quorum", 6)
	h.photos.fail(urls[0], http.StatusServiceUnavailable, 1)
	ids := h.addPhotos(t, urls)
	h.mustProcess(t, ids)
	h.waitSettled(t, ids, batchTimeout)
	h.checkOutcome(t, "quorum queue", ids).requireAllCompleted(t)

	out, err := exec.Command("rabbitmqctl", "-q", "list_queues", "name", "type").CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl list_queues: %v\n%s", err, out)
	}
	for _, name := range queue.QueueNames(h.cfg.Queue) {
		if !strings.Contains(string(out), name+"\tquorum") {
			t.Errorf("queue %s is not a quorum queue:\n%s", name, out)
		}
	}
}

// waitProcessed waits until the daemon has settled n messages, and returns its counts by outcome.
func (h *harness) waitProcessed(t *testing.T, n float64) map[string]float64 {
	t.Helper()
	var processed map[string]float64
	testkit.EventuallyWithin(t, batchTimeout, "messages to be settled", func() bool {
		st, ok := h.status(t)
		processed = st.Processed
		return ok && processed["completed"]+processed["skipped"]+processed["failed"] >= n
	})
	return processed
}

// testPublisher is a publisher of the test's own, straight to the broker, for queueing
// messages the API would not send and reading queue depths.
func testPublisher(t *testing.T, cfg queue.Config) *queue.Publisher {
	t.Helper()
	cfg.URI = queuetest.URI()
	cfg.ConnectionName = "photoproc-test-publisher"
	return queuetest.Publisher(t, cfg, nil)
}

func publish(t *testing.T, pub *queue.Publisher, ids ...uuid.UUID) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ok, err := pub.Publish(ctx, ids); err != nil || len(ok) != len(ids) {
		t.Fatalf("publish: %d of %d confirmed: %v", len(ok), len(ids), err)
	}
}

// brokerAddr is the test broker's host:port.
func brokerAddr(t *testing.T) string {
	t.Helper()
	u, err := amqp.ParseURI(queuetest.URI())
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
}

// viaProxy is uri with its host and port replaced by addr.
func viaProxy(t *testing.T, uri, addr string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// terminateBackends ends, from the admin database, every session on the database of uri
// (the daemon's and the test's own) but those of the process ids keep, and returns how many.
func terminateBackends(t *testing.T, uri string, keep ...uint32) int {
	t.Helper()
	pids := []int32{} // never NULL, which would match no backend at all
	for _, pid := range keep {
		pids = append(pids, int32(pid))
	}
	var n int
	adminQuery(t, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid() AND pid <> ALL ($2::int[])`, []any{dbName(t, uri), pids}, &n)
	return n
}

// allowConnections lets sessions onto the database of uri, or refuses them all.
func allowConnections(t *testing.T, uri string, allow bool) {
	t.Helper()
	sql := "ALTER DATABASE " + pgx.Identifier{dbName(t, uri)}.Sanitize() + " ALLOW_CONNECTIONS " + strconv.FormatBool(allow)
	adminQuery(t, sql, nil)
}

func adminQuery(t *testing.T, sql string, args []any, dst ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, storetest.AdminURI())
	if err != nil {
		t.Fatalf("connect to the admin database: %v", err)
	}
	defer conn.Close(context.Background())
	if len(dst) == 0 {
		_, err = conn.Exec(ctx, sql, args...)
	} else {
		err = conn.QueryRow(ctx, sql, args...).Scan(dst...)
	}
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dbName(t *testing.T, uri string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}
