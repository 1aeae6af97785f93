package e2e

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
)

// A photo that kills the worker processing it (a fault in C code, a fatal error, the OOM
// killer: here the photo server SIGKILLs photoproc when that photo is downloaded), in a batch,
// with a supervisor that restarts photoproc each time it dies, as systemd would. The attempts
// cut short by the crashes are counted where they survive, in the database: after
// PHOTOPROC_MAX_ATTEMPTS crashes the photo is failed and its message dead-lettered, and it
// stops cycling. The photos that merely shared a crash with it are not failed for it: a photo
// taken over from a dead worker runs alone, so later crashes are charged to it only. Every
// other photo completes, none twice.
func TestCrashLoopPhotoKillsItsWorker(t *testing.T) {
	t.Parallel()
	const maxAttempts = 3
	svc := newServices(t)
	env := svc.childEnv("PHOTOPROC_MAX_ATTEMPTS=3")
	urls := svc.photos.batch("crashloop", 9)
	killer := urls[2]
	ids := svc.addPhotos(t, urls)

	var (
		mu      sync.Mutex
		current *child
		kills   int
	)
	svc.photos.onRequest(killer, func() {
		mu.Lock()
		defer mu.Unlock()
		if current != nil {
			kills++
			_ = current.cmd.Process.Signal(syscall.SIGKILL)
		}
	})
	publish(t, testPublisher(t, svc.queue), ids...)

	// The supervisor: start photoproc, and start it again whenever it dies, until every photo
	// is settled. More crashes than attempts is the bug; the loop ends there.
	var last *child
	for crashes := 0; ; crashes++ {
		if crashes > 2*maxAttempts {
			t.Fatalf("%d crashes and the photo that causes them is still not failed", crashes)
		}
		last = startChild(t, env, "serve")
		mu.Lock()
		current = last
		mu.Unlock()
		died := false
		testkit.EventuallyWithin(t, batchTimeout, "photoproc to die or every photo to settle", func() bool {
			select {
			case <-last.done:
				died = true
				return true
			default:
			}
			return svc.countStatus(ids, store.StatusCompleted)+svc.countStatus(ids, store.StatusFailed) == len(ids)
		})
		if !died {
			break
		}
		if ws, ok := last.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("photoproc exited by itself (%v), not killed:\n%s", last.cmd.ProcessState, last.logs)
		}
	}

	mu.Lock()
	crashes := kills
	mu.Unlock()
	photos := svc.waitSettled(t, ids, batchTimeout)
	p := photos[ids[2]]
	if crashes != maxAttempts || p.Status != store.StatusFailed || p.Attempts != maxAttempts || !strings.Contains(p.FailureReason, "died") {
		t.Errorf("the killer photo: %d crashes, then %s after %d attempts (%q); want failed after %d crashes, saying its worker died",
			crashes, p.Status, p.Attempts, p.FailureReason, maxAttempts)
	}
	if n := svc.photos.requestsFor(killer); n != maxAttempts {
		t.Errorf("the killer photo was downloaded %d times, want %d: one per attempt", n, maxAttempts)
	}
	dead, ok := queuetest.Get(t, queuetest.URI(), queue.DeadQueue(svc.queue))
	if !ok || !strings.Contains(string(dead.Body), ids[2].String()) {
		t.Errorf("dead letter %q (%v), want the killer photo's message", dead.Body, ok)
	}

	others := append(append([]string{}, urls[:2]...), urls[3:]...)
	otherIDs := append(append(ids[:0:0], ids[:2]...), ids[3:]...)
	o := svc.checkOutcome(t, "a photo kills its worker", otherIDs)
	o.requireAllCompleted(t)
	all := svc.checkOutcome(t, "a photo kills its worker (all)", ids)
	all.report(t, "photo kills its worker, 3 attempts", svc.attempts(t, ids), svc.photos.fetches(urls))
	for i, u := range others {
		// Downloaded once, or twice if it was in flight at the first crash.
		if n := svc.photos.requestsFor(u); n < 1 || n > 2 {
			t.Errorf("photo %s downloaded %d times, want once, or twice if it shared the first crash", otherIDs[i], n)
		}
	}

	// Its message stopped cycling: the queue is empty and the last photoproc is still up.
	pub := testPublisher(t, svc.queue)
	testkit.EventuallyWithin(t, 30*time.Second, "the work queue to be empty", func() bool {
		st, err := pub.QueueStats(context.Background())
		return err == nil && st.Messages == 0 && st.RetryMessages == 0
	})
	select {
	case <-last.done:
		t.Errorf("the last photoproc died too: %v", last.err)
	default:
	}
	t.Logf("crashes: %d", crashes)
}
