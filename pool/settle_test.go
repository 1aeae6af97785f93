package pool

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/fetch"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/store"
)

// A photo that downloads, thumbnails, stores and records is acked after it is recorded, with
// the thumbnail size of the Thumbnailer's settings, the URL the store gave and its source.
func TestCompletedPhotoIsRecordedThenAcked(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	id := uuid.New()
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" || got.published != "" {
		t.Fatalf("settled %+v, want a plain ack", got)
	}
	p := b.store.get(id)
	if p.status != store.StatusCompleted || p.attempts != 1 || p.completed.Size != 320 || p.completed.URL != "mem://"+id.String()+".jpg" {
		t.Errorf("photo %+v, want completed after one attempt, a 320 thumbnail at mem://<uuid>.jpg", p)
	}
	// The admin page shows what the thumbnail was made from: the 5 bytes "photo" the fetcher
	// gave, of the size and format the Thumbnailer read.
	if want := (store.Source{Bytes: 5, Width: 4, Height: 3, Format: "png"}); p.completed.Source != want {
		t.Errorf("recorded source %+v, want %+v", p.completed.Source, want)
	}
	testkit.Eventually(t, "the outcome counted", func() bool {
		return counterValue(t, b.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeCompleted)) == 1
	})
}

// A transient failure is recorded (pending, waiting for its retry, with the reason and the
// wait), then its retry is published, then the message acked. On the last attempt the photo
// is failed and dead-lettered with the attempt count. The attempts are the claims'.
func TestTransientFailureIsRetriedThenDeadLettered(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil) // MaxAttempts 3
	id := uuid.New()
	b.fetch.failWith(id, errTransient)
	for attempt := 1; attempt <= 3; attempt++ {
		b.deliver(id, false)
		got := b.next(t)
		if attempt < 3 {
			step := b.cfg.Retry.Delay(attempt)
			if got.how != "ack" || got.published != "retry" || got.attempt != attempt || got.wait < step/2-time.Millisecond || got.wait > step {
				t.Fatalf("attempt %d settled %+v, want a retry for attempt %d waiting the policy's %s, jittered", attempt, got, attempt, step)
			}
			if p := b.store.get(id); p.status != store.StatusPending || !p.waiting || p.retryIn != got.wait || p.reason == "" {
				t.Fatalf("attempt %d left %+v, want pending, waiting for its retry as long as the message, with the reason", attempt, p)
			}
			b.store.put(id, fakePhoto{status: store.StatusPending, attempts: attempt}) // the retry is due
			continue
		}
		if got.how != "ack" || got.published != "dead-letter" || got.attempt != 3 || !strings.Contains(got.reason, "503") {
			t.Fatalf("last attempt settled %+v, want a dead letter after 3 attempts", got)
		}
	}
	if p := b.store.get(id); p.status != store.StatusFailed || p.attempts != 3 || !strings.Contains(p.reason, "503") {
		t.Errorf("photo %+v, want failed after 3 attempts with the reason", p)
	}
}

// A permanent failure fails the photo at once, without a retry or a dead letter.
func TestPermanentFailureFailsAtOnce(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	id := uuid.New()
	b.fetch.failWith(id, Permanent(errors.New("404 Not Found")))
	b.deliver(id, false)
	if got := b.next(t); got.how != "ack" || got.published != "" {
		t.Fatalf("settled %+v, want a plain ack", got)
	}
	if p := b.store.get(id); p.status != store.StatusFailed || p.attempts != 1 || p.reason != "download: 404 Not Found" {
		t.Errorf("photo %+v, want failed after one attempt with the reason", p)
	}
}

// A message for a photo with nothing to do is acked without downloading it: completed, failed
// for good, another worker's, or waiting for a retry its own message will bring (a duplicate,
// or the original of a retry whose ack was lost: no second chain of attempts starts).
func TestNothingToDoIsAckedWithoutWork(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	for name, row := range map[string]fakePhoto{
		"completed":          {status: store.StatusCompleted, attempts: 1, rows: []store.Thumbnail{{Size: 320, Format: "jpeg"}}},
		"failed":             {status: store.StatusFailed, attempts: 3},
		"another's":          {status: store.StatusProcessing, attempts: 1},
		"waiting for retry":  {status: store.StatusPending, attempts: 1, waiting: true},
		"waiting, redeliver": {status: store.StatusPending, attempts: 1, waiting: true},
	} {
		id := uuid.New()
		b.store.put(id, row)
		b.deliver(id, name == "waiting, redeliver")
		if got := b.next(t); got.how != "ack" || got.published != "" {
			t.Errorf("%s: settled %+v, want a plain ack", name, got)
		}
		if n := b.fetch.count(id); n != 0 {
			t.Errorf("%s: downloaded %d times, want none", name, n)
		}
		if p := b.store.get(id); !reflect.DeepEqual(p, row) {
			t.Errorf("%s: photo changed from %+v to %+v", name, row, p)
		}
	}
	testkit.Eventually(t, "5 skipped counted", func() bool {
		return counterValue(t, b.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeSkipped)) == 5
	})
}

// A photo whose earlier attempts all died with their worker (it stayed processing, its message
// redelivered each time) is failed and dead-lettered once it has had MaxAttempts, without
// being downloaded again: its message stops cycling.
func TestPhotoOutOfAttemptsIsFailedWithoutWork(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	id := uuid.New()
	b.store.put(id, fakePhoto{status: store.StatusProcessing, attempts: 3})
	b.deliver(id, true)
	got := b.next(t)
	if got.how != "ack" || got.published != "dead-letter" || got.attempt != 3 || !strings.Contains(got.reason, "died") {
		t.Fatalf("settled %+v, want a dead letter after 3 attempts saying the worker died", got)
	}
	if p := b.store.get(id); p.status != store.StatusFailed || p.attempts != 3 {
		t.Errorf("photo %+v, want failed after 3 attempts", p)
	}
	if n := b.fetch.count(id); n != 0 {
		t.Errorf("downloaded %d times, want none", n)
	}
}

// While the database refuses to record an outcome (read-only, or not answering), the delivery
// is held: not acked, not requeued, no attempt spent. Intake pauses for that cause, and the
// step waits for a probe (which backs off) to find the cause gone; once the database takes
// it, the outcome is recorded once, the message acked and intake resumed.
func TestOutcomeHeldWhileDatabaseCannotRecordIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, reason, probe string
		err                 error
	}{
		{"read-only", reasonReadOnly, "pingWrite", fmt.Errorf("release: %w", store.ErrReadOnly)},
		{"not answering", reasonDatabase, "ping", fmt.Errorf("release: %w: i/o timeout", store.ErrUnavailable)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, nil)
			id := uuid.New()
			b.fetch.failWith(id, errTransient) // its outcome: a retry
			b.store.failWith("release", tc.err)
			b.store.failWith(tc.probe, tc.err)
			b.deliver(id, false)

			testkit.Eventually(t, "three probes", func() bool { return b.store.count(tc.probe) >= 3 })
			if paused, reasons := b.pool.Paused(); !paused || !slices.Equal(reasons, []string{tc.reason}) || !b.intake.isPaused() {
				t.Fatalf("Paused() = %v %v, intake paused %v; want paused for %q", paused, reasons, b.intake.isPaused(), tc.reason)
			}
			// Held: the step waits for the probe, and nothing is settled.
			if n := b.store.count("release"); n != 1 {
				t.Errorf("the release was tried %d times while the probe failed, want once", n)
			}
			if len(b.settled) != 0 {
				t.Fatalf("settled %+v while the outcome could not be recorded", <-b.settled)
			}

			b.store.failWith("release", nil)
			b.store.failWith(tc.probe, nil)
			if got := b.next(t); got.how != "ack" || got.published != "retry" || got.attempt != 1 {
				t.Fatalf("settled %+v, want the retry of attempt 1", got)
			}
			if p := b.store.get(id); p.attempts != 1 || !p.waiting {
				t.Errorf("photo %+v: want waiting for its retry, one attempt spent", p)
			}
			if n := b.store.count("release"); n != 2 {
				t.Errorf("the release was tried %d times, want twice", n)
			}
			testkit.Eventually(t, "intake to resume", func() bool { return !b.intake.isPaused() })
			if paused, _ := b.pool.Paused(); paused {
				t.Error("still paused")
			}
		})
	}
}

// A probe that passes while the step still fails (it cannot see the cause) cannot make a
// loop: the tries of the step are spaced by a delay that doubles each time.
func TestHeldStepBacksOffWhenTheProbeCannotSeeTheCause(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	id := uuid.New()
	b.store.failWith("complete", fmt.Errorf("complete: %w: disk full", store.ErrUnavailable)) // Ping passes
	b.deliver(id, false)
	testkit.Eventually(t, "four tries", func() bool { return b.store.count("complete") >= 4 })
	for _, d := range []string{"retry_in=100ms", "retry_in=200ms", "retry_in=400ms"} {
		if n := b.logs.Count("cannot record the outcome", d); n != 1 {
			t.Errorf("%d tries logged with %s, want 1", n, d)
		}
	}
	b.store.failWith("complete", nil)
	if got := b.next(t); got.how != "ack" || got.published != "" {
		t.Fatalf("settled %+v, want a plain ack", got)
	}
	if p := b.store.get(id); p.status != store.StatusCompleted || p.attempts != 1 {
		t.Errorf("photo %+v, want completed after one attempt", p)
	}
}

// While the broker refuses the retry's copy (a memory alarm, a lost connection), the delivery
// is held and intake paused; the retry is recorded once, published once the broker takes it,
// and only then is the message acked.
func TestRetryHeldWhileBrokerRefusesIt(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	id := uuid.New()
	b.fetch.failWith(id, errTransient)
	blocked := fmt.Errorf("broker blocks publishing (memory alarm): %w", queue.ErrUnavailable)
	b.broker.set(blocked)
	d := &fakeDelivery{id: id, settled: b.settled, publishErr: blocked}
	b.pool.Handle(d)

	testkit.Eventually(t, "the publish to be tried and the broker probed", func() bool {
		return d.publishTries() >= 1 && b.logs.Count("still down", reasonBroker) >= 2
	})
	if paused, reasons := b.pool.Paused(); !paused || !slices.Equal(reasons, []string{reasonBroker}) {
		t.Fatalf("Paused() = %v %v; want paused for %q", paused, reasons, reasonBroker)
	}
	if len(b.settled) != 0 {
		t.Fatal("settled while the broker refused the retry")
	}
	d.setPublishErr(nil)
	b.broker.set(nil)
	if got := b.next(t); got.how != "ack" || got.published != "retry" {
		t.Fatalf("settled %+v, want the retry", got)
	}
	if n := b.store.count("release"); n != 1 {
		t.Errorf("the retry was recorded %d times, want once", n)
	}
	testkit.Eventually(t, "intake to resume", func() bool { return !b.intake.isPaused() })
}

// A claim the database cannot answer holds the delivery while intake is paused; once the
// database answers, the claim is tried again in place and the photo completes, one attempt
// spent — also when the first claim was made and only its answer lost.
func TestClaimHeldUntilDatabaseAnswers(t *testing.T) {
	t.Parallel()
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("answer lost %v", lost), func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, nil)
			id := uuid.New()
			down := fmt.Errorf("claim: %w: connection refused", store.ErrUnavailable)
			if lost {
				b.store.mu.Lock()
				b.store.lostClaims = 1
				b.store.mu.Unlock()
			} else {
				b.store.failWith("claim", down)
			}
			b.store.failWith("ping", down)
			b.deliver(id, false)
			testkit.Eventually(t, "intake to pause", b.intake.isPaused)
			testkit.Eventually(t, "a probe", func() bool { return b.store.count("ping") >= 2 })
			if len(b.settled) != 0 {
				t.Fatal("settled while the database was down")
			}
			b.store.failWith("claim", nil)
			b.store.failWith("ping", nil)
			if got := b.next(t); got.how != "ack" || got.published != "" {
				t.Fatalf("settled %+v, want an ack", got)
			}
			if p := b.store.get(id); p.status != store.StatusCompleted || p.attempts != 1 {
				t.Errorf("photo %+v, want completed after one attempt", p)
			}
			testkit.Eventually(t, "intake to resume", func() bool { return !b.intake.isPaused() })
		})
	}
}

// An outcome held when the pool stops is handed back: the claim undone (its attempt given
// back), the message requeued.
func TestHeldOutcomeHandedBackOnStop(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *Config) { c.ShutdownTimeout = 0 })
	id := uuid.New()
	b.store.failWith("complete", fmt.Errorf("complete: %w", store.ErrReadOnly))
	b.store.failWith("pingWrite", store.ErrReadOnly)
	b.deliver(id, false)
	testkit.Eventually(t, "the outcome to be held", func() bool { return b.store.count("complete") >= 2 })
	b.pool.Stop(context.Background())
	if got := b.next(t); got.how != "requeue" {
		t.Fatalf("settled %+v, want a requeue", got)
	}
	if p := b.store.get(id); p.status != store.StatusPending || p.attempts != 0 {
		t.Errorf("photo %+v, want pending with its attempt given back", p)
	}
}

// A stop hands back the photos in flight once ShutdownTimeout has passed, their attempts
// given back: a stop is not the photo's failure.
func TestStopHandsBackInFlightPhotos(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *Config) { c.ShutdownTimeout = 0 })
	id := uuid.New()
	b.fetch.hold(id)
	b.deliver(id, false)
	testkit.Eventually(t, "the download to start", func() bool { return b.fetch.inFlight(id) })
	b.pool.Stop(context.Background())
	if got := b.next(t); got.how != "requeue" {
		t.Fatalf("settled %+v, want a requeue", got)
	}
	if p := b.store.get(id); p.status != store.StatusPending || p.attempts != 0 || b.store.count("unclaim") != 1 {
		t.Errorf("photo %+v after %d unclaims, want pending with its attempt given back", p, b.store.count("unclaim"))
	}
}

// A retry recorded and published, whose ack is lost (the channel died), is not published
// again: the broker redelivers the original, whose claim then finds the retry not due.
func TestRetryPublishedOnceWhenItsAckIsLost(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	id := uuid.New()
	b.fetch.failWith(id, errTransient)
	d := &fakeDelivery{id: id, settled: b.settled, ackErr: fmt.Errorf("ack: channel gone: %w", queue.ErrUnavailable)}
	b.pool.Handle(d)
	if got := b.next(t); got.how != "ack" || got.published != "retry" {
		t.Fatalf("settled %+v, want the retry", got)
	}
	if n := d.publishTries(); n != 1 {
		t.Errorf("published %d times, want once", n)
	}
	b.deliver(id, true) // the redelivered original
	if got := b.next(t); got.how != "ack" || got.published != "" {
		t.Fatalf("redelivered original settled %+v, want a plain ack", got)
	}
	if n := b.fetch.count(id); n != 1 {
		t.Errorf("downloaded %d times, want once", n)
	}
}

// An attempt whose claim was taken over meanwhile (its lease ran out while it hung) does not
// record its outcome over the new holder's, and drops its message — even when the new claim
// has the same attempt number (the photo was unclaimed or reopened in between): claims are
// told apart by their token.
func TestOutcomeOfAClaimTakenOverIsDropped(t *testing.T) {
	t.Parallel()
	for name, attempts := range map[string]int{"a later attempt": 2, "the same attempt number": 1} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, nil)
			id := uuid.New()
			release := b.fetch.hold(id)
			b.fetch.failWith(id, errTransient)
			b.deliver(id, false)
			testkit.Eventually(t, "the download to start", func() bool { return b.fetch.inFlight(id) })
			newer := uuid.New()
			b.store.put(id, fakePhoto{status: store.StatusProcessing, attempts: attempts, token: newer}) // another worker's claim
			release()
			if got := b.next(t); got.how != "ack" || got.published != "" {
				t.Fatalf("settled %+v, want a plain ack", got)
			}
			if p := b.store.get(id); p.status != store.StatusProcessing || p.attempts != attempts || p.token != newer {
				t.Errorf("photo %+v, want the new holder's claim untouched", p)
			}
		})
	}
}

// The leases of photos in flight are kept alive while they are, and no longer.
func TestLeasesOfPhotosInFlightAreExtended(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *Config) { c.Lease = time.Second }) // the shortest Validate allows
	id := uuid.New()
	release := b.fetch.hold(id)
	b.deliver(id, false)
	testkit.Eventually(t, "the photo to be claimed", func() bool { return len(b.store.acquired()) == 1 })
	claim := b.store.acquired()[0]
	testkit.Eventually(t, "the lease to be extended twice", func() bool { return b.store.extended(claim, 2) })
	release()
	b.next(t)
	testkit.Eventually(t, "the lease no longer kept", func() bool {
		b.pool.leases.mu.Lock()
		defer b.pool.leases.mu.Unlock()
		return len(b.pool.leases.held) == 0
	})
}

// The classification decides what a failure means for the photo, in one place.
func TestClassify(t *testing.T) {
	t.Parallel()
	work, stop := context.WithCancel(context.Background())
	defer stop()
	for _, tc := range []struct {
		err  error
		want class
	}{
		{errTransient, classTransient},
		{fmt.Errorf("internal error: boom"), classTransient},
		{Permanent(errors.New("bad")), classPermanent},
		{fmt.Errorf("download: %w", fetch.ErrTooLarge), classPermanent},
		{&storeError{store.ErrUnavailable}, classDatabase},
		{fmt.Errorf("claim: %w", store.ErrNotFound), classMissing},
		{&exhaustedError{attempts: 3}, classExhausted},
		{context.Canceled, classTransient}, // not stopping: a download's own cancellation
	} {
		if got := classify(work, tc.err); got != tc.want {
			t.Errorf("classify(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	stop()
	if got := classify(work, fmt.Errorf("download: %w", context.Canceled)); got != classStopping {
		t.Errorf("classify(cancelled while stopping) = %d, want stopping", got)
	}
}

// A task that fails before its photo is claimed (a panic in the claim) hands its message back
// instead of dropping it: there is no claim to record a retry on.
func TestFailureBeforeTheClaimHandsTheMessageBack(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	b.store.onClaim = func(uuid.UUID) { panic("claim panicked") }
	b.deliver(uuid.New(), false)
	if got := b.next(t); got.how != "requeue" {
		t.Fatalf("settled %+v, want a requeue", got)
	}
}
