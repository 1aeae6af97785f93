package store_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

func TestExpiredLeases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	past := time.Now().Add(-time.Minute)
	expired := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: past})
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing}) // live lease
	b.photo(t, nil)                                                  // pending
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, LeaseUntil: past})

	ids, err := b.s.ExpiredLeases(ctx(t), lease, 10)
	if err != nil {
		t.Fatalf("ExpiredLeases: %v", err)
	}
	if !slices.Equal(ids, []uuid.UUID{expired.UUID}) {
		t.Fatalf("ExpiredLeases() = %v, want [%s]", ids, expired.UUID)
	}
	if _, live := b.lease(t, expired.UUID); !live {
		t.Error("lease not pushed forward")
	}
	if again, err := b.s.ExpiredLeases(ctx(t), lease, 10); err != nil || len(again) != 0 {
		t.Fatalf("second ExpiredLeases() = %v, %v; want none", again, err)
	}

	// The message the caller republishes is a fresh one (no takeover): it must still get the
	// photo, although its lease was just pushed.
	_, res, err := b.claim(t, expired.UUID, false)
	if err != nil || res != store.ClaimTakenOver {
		t.Fatalf("Claim after requeue = %v, %v; want taken over", res, err)
	}
	// ...and only one such message.
	if _, res, _ := b.claim(t, expired.UUID, false); res != store.ClaimBusy {
		t.Fatalf("second Claim after requeue = %v, want busy", res)
	}
}

// TestExpiredLeasesConcurrent runs sweeps at once, as several daemons would: each expired
// photo is returned to exactly one of them.
// TestLeaselessClaims covers rows the Python service left in processing, with no lease: they
// count as expired.
func TestLeaselessClaims(t *testing.T) {
	t.Parallel()
	b := setup(t)
	swept := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	claimed := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	if _, err := b.db.Exec(ctx(t), `UPDATE photos SET lease_until = NULL`); err != nil {
		t.Fatal(err)
	}
	if _, res, err := b.claim(t, claimed.UUID, false); err != nil || res != store.ClaimTakenOver {
		t.Errorf("Claim of a leaseless processing photo = %v, %v; want acquired", res, err)
	}
	ids, err := b.s.ExpiredLeases(ctx(t), lease, 10)
	if err != nil || !slices.Equal(ids, []uuid.UUID{swept.UUID}) {
		t.Errorf("ExpiredLeases() = %v, %v; want [%s]", ids, err, swept.UUID)
	}
}

func TestExpiredLeasesConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	want := map[uuid.UUID]bool{}
	for range 60 {
		want[b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: time.Now().Add(-time.Minute)}).UUID] = true
	}
	const sweepers = 6
	results := make([][]uuid.UUID, sweepers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range sweepers {
		wg.Go(func() {
			<-start
			for { // small batches, until a sweep finds nothing
				ids, err := b.s.ExpiredLeases(ctx(t), lease, 7)
				if err != nil {
					t.Errorf("ExpiredLeases: %v", err)
					return
				}
				if len(ids) == 0 {
					return
				}
				results[i] = append(results[i], ids...)
			}
		})
	}
	close(start)
	wg.Wait()
	seen := map[uuid.UUID]int{}
	for _, ids := range results {
		for _, id := range ids {
			seen[id]++
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("photo %s returned %d times, want once", id, seen[id])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("returned %d photos, want %d", len(seen), len(want))
	}
}

func TestStuckPhotos(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := time.Now().Add(-2 * time.Hour)
	stuck := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, UpdatedAt: long}) // live lease, yet stuck
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})                           // just claimed
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusFailed, UpdatedAt: long})
	b.photo(t, &storetest.PhotoOpts{UpdatedAt: long})

	ids, err := b.s.StuckPhotos(ctx(t), time.Hour, 10)
	if err != nil {
		t.Fatalf("StuckPhotos: %v", err)
	}
	if !slices.Equal(ids, []uuid.UUID{stuck.UUID}) {
		t.Fatalf("StuckPhotos() = %v, want [%s]", ids, stuck.UUID)
	}
	if again, err := b.s.StuckPhotos(ctx(t), time.Hour, 10); err != nil || len(again) != 0 {
		t.Fatalf("second StuckPhotos() = %v, %v; want none", again, err)
	}
	if _, res, err := b.claim(t, stuck.UUID, false); err != nil || res != store.ClaimTakenOver {
		t.Fatalf("Claim after requeue = %v, %v; want acquired", res, err)
	}
	if _, err := b.s.StuckPhotos(ctx(t), -time.Second, 10); err == nil {
		t.Error("StuckPhotos with a negative age succeeded")
	}
}

func TestSweepLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 5 {
		b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: time.Now().Add(-time.Minute), UpdatedAt: time.Now().Add(-time.Hour)})
	}
	if ids, err := b.s.ExpiredLeases(ctx(t), lease, 2); err != nil || len(ids) != 2 {
		t.Errorf("ExpiredLeases(limit 2) = %v, %v; want 2", ids, err)
	}
	if ids, err := b.s.StuckPhotos(ctx(t), time.Minute, 2); err != nil || len(ids) != 2 {
		t.Errorf("StuckPhotos(limit 2) = %v, %v; want 2 of the 3 not yet requeued", ids, err)
	}
	for _, limit := range []int{0, -1} {
		if _, err := b.s.ExpiredLeases(ctx(t), lease, limit); err == nil {
			t.Errorf("ExpiredLeases(limit %d) succeeded", limit)
		}
	}
	if _, err := b.s.ExpiredLeases(ctx(t), 0, 1); err == nil {
		t.Error("ExpiredLeases(lease 0) succeeded")
	}
}

func TestExtendLeases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	expired := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: time.Now().Add(-time.Minute), UpdatedAt: time.Now().Add(-time.Hour)})
	live := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing})
	takenOver := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, Attempts: 2})
	done := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	claims := []store.Claim{
		{Photo: expired.UUID, Attempt: 1}, {Photo: live.UUID, Attempt: 1},
		{Photo: takenOver.UUID, Attempt: 1}, {Photo: done.UUID, Attempt: 1}, {Photo: uuid.New(), Attempt: 1},
	}
	lost, err := b.s.ExtendLeases(ctx(t), lease, claims)
	if err != nil {
		t.Fatalf("ExtendLeases: %v", err)
	}
	if !slices.Equal(lost, claims[2:]) {
		t.Errorf("ExtendLeases() lost %v, want %v", lost, claims[2:])
	}
	for _, p := range []store.Photo{expired, live} {
		if _, isLive := b.lease(t, p.UUID); !isLive {
			t.Errorf("lease of %s not live after ExtendLeases", p.UUID)
		}
	}
	if after, _ := b.get(t, expired.UUID); !after.UpdatedAt.Equal(expired.UpdatedAt) {
		t.Errorf("ExtendLeases moved updated_at from %s to %s: a kept-alive lease is no progress", expired.UpdatedAt, after.UpdatedAt)
	}
	if lost, err := b.s.ExtendLeases(ctx(t), lease, nil); err != nil || len(lost) != 0 {
		t.Errorf("ExtendLeases(none) = %v, %v", lost, err)
	}
	if _, err := b.s.ExtendLeases(ctx(t), 0, claims); err == nil {
		t.Error("ExtendLeases with a zero lease succeeded")
	}
}

func TestLostRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now()
	lost := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(-time.Hour)})
	b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(-time.Second)}) // within grace
	b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(time.Hour)})    // not due
	b.photo(t, nil)                                                                                     // never queued, or queued: no way to know; not ours to requeue
	b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, RetryAt: now.Add(-time.Hour)})

	ids, err := b.s.LostRetries(ctx(t), time.Minute, 10)
	if err != nil {
		t.Fatalf("LostRetries: %v", err)
	}
	if !slices.Equal(ids, []uuid.UUID{lost.UUID}) {
		t.Fatalf("LostRetries() = %v, want [%s]", ids, lost.UUID)
	}
	if again, err := b.s.LostRetries(ctx(t), time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("second LostRetries() = %v, %v; want none within the grace", again, err)
	}
	// The message the caller publishes claims it.
	if _, res, err := b.claim(t, lost.UUID, false); err != nil || res != store.ClaimAcquired {
		t.Fatalf("Claim of a lost retry = %v, %v; want acquired", res, err)
	}
	if _, err := b.s.LostRetries(ctx(t), -time.Second, 10); err == nil {
		t.Error("LostRetries with a negative grace succeeded")
	}
}

// An operator's request to queue photos again finds among them the retries lost by the
// sweeper's rule, marks them so that neither the sweeper nor a second request queues them
// again within the grace, and can take the mark back when their message was not published.
func TestLostRetriesAmong(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now()
	lost := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(-time.Hour)})
	late := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(-time.Second)}) // within grace
	due := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(time.Hour)})
	other := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(-time.Hour)}) // lost, not asked for
	ids := []uuid.UUID{lost.UUID, late.UUID, due.UUID}

	got, err := b.s.LostRetriesAmong(ctx(t), ids, time.Minute)
	if err != nil || !slices.Equal(got, []uuid.UUID{lost.UUID}) {
		t.Fatalf("LostRetriesAmong = %v, %v; want [%s]", got, err, lost.UUID)
	}
	if again, err := b.s.LostRetriesAmong(ctx(t), ids, time.Minute); err != nil || len(again) != 0 {
		t.Fatalf("second LostRetriesAmong = %v, %v; want none within the grace", again, err)
	}
	if swept, err := b.s.LostRetries(ctx(t), time.Minute, 10); err != nil || !slices.Equal(swept, []uuid.UUID{other.UUID}) {
		t.Fatalf("LostRetries after a request = %v, %v; want only the photo not asked for", swept, err)
	}

	// Not published: the mark is taken back, and the photo can be asked for at once.
	if err := b.s.UndoRequeue(ctx(t), []uuid.UUID{lost.UUID}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.s.LostRetriesAmong(ctx(t), ids, time.Minute); err != nil || !slices.Equal(got, []uuid.UUID{lost.UUID}) {
		t.Fatalf("LostRetriesAmong after UndoRequeue = %v, %v; want [%s]", got, err, lost.UUID)
	}
	if _, err := b.s.LostRetriesAmong(ctx(t), ids, -time.Second); err == nil {
		t.Error("LostRetriesAmong with a negative grace succeeded")
	}
}
