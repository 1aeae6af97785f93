package store_test

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

const lease = time.Hour

// claim claims with the test lease and a limit of 3 attempts.
func (b *bundle) claim(t *testing.T, id uuid.UUID, takeover bool) (store.Photo, store.ClaimResult, error) {
	t.Helper()
	return b.s.Claim(ctx(t), id, store.ClaimOpts{Lease: lease, Takeover: takeover, MaxAttempts: 3})
}

func TestClaim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tests := []struct {
		name     string
		opts     storetest.PhotoOpts
		takeover bool
		want     store.ClaimResult
	}{
		{"pending", storetest.PhotoOpts{}, false, store.ClaimAcquired},
		{"pending, takeover", storetest.PhotoOpts{}, true, store.ClaimAcquired},
		{"failed", storetest.PhotoOpts{Status: store.StatusFailed}, false, store.ClaimFailed},
		{"failed, takeover", storetest.PhotoOpts{Status: store.StatusFailed}, true, store.ClaimFailed},
		{"retry due", storetest.PhotoOpts{FailureReason: "timeout", Attempts: 2, RetryAt: past}, false, store.ClaimAcquired},
		{"retry not due", storetest.PhotoOpts{FailureReason: "timeout", Attempts: 1, RetryAt: future}, false, store.ClaimWaiting},
		{"retry not due, takeover", storetest.PhotoOpts{FailureReason: "timeout", Attempts: 1, RetryAt: future}, true, store.ClaimWaiting},
		{"retry due, no attempt left", storetest.PhotoOpts{Attempts: 3, RetryAt: past}, false, store.ClaimExhausted},
		{"completed", storetest.PhotoOpts{Status: store.StatusCompleted}, false, store.ClaimCompleted},
		{"completed, takeover", storetest.PhotoOpts{Status: store.StatusCompleted}, true, store.ClaimCompleted},
		{"live lease", storetest.PhotoOpts{Status: store.StatusProcessing}, false, store.ClaimBusy},
		{"live lease, no attempt left", storetest.PhotoOpts{Status: store.StatusProcessing, Attempts: 3}, false, store.ClaimBusy},
		{"live lease, takeover", storetest.PhotoOpts{Status: store.StatusProcessing}, true, store.ClaimTakenOver},
		{"live lease, takeover, no attempt left", storetest.PhotoOpts{Status: store.StatusProcessing, Attempts: 3}, true, store.ClaimExhausted},
		{"expired lease", storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: past}, false, store.ClaimTakenOver},
		{"expired lease, takeover", storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: past}, true, store.ClaimTakenOver},
		{"expired lease, no attempt left", storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: past, Attempts: 3}, false, store.ClaimExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := b.photo(t, &tt.opts)
			got, res, err := b.claim(t, before.UUID, tt.takeover)
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			if res != tt.want {
				t.Fatalf("Claim() = %v, want %v", res, tt.want)
			}
			after, _ := b.get(t, before.UUID)
			if !reflect.DeepEqual(got, after) {
				t.Errorf("Claim returned %+v, the database holds %+v", got, after)
			}
			_, live := b.lease(t, before.UUID)
			if res != store.ClaimAcquired && res != store.ClaimTakenOver {
				// Nothing changes for a photo not acquired.
				if !reflect.DeepEqual(after, before) {
					t.Errorf("photo changed from %+v to %+v", before, after)
				}
				return
			}
			if after.Status != store.StatusProcessing || after.Attempts != before.Attempts+1 ||
				after.FailureReason != "" || !after.RetryAt.IsZero() || !live || after.UpdatedAt.Before(before.UpdatedAt) {
				t.Errorf("after Claim: %+v (lease live %v); want processing, attempts %d, no reason, no retry, a live lease",
					after, live, before.Attempts+1)
			}
		})
	}

	t.Run("unknown photo", func(t *testing.T) {
		t.Parallel()
		if _, _, err := b.claim(t, uuid.New(), true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Claim(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("terms must be positive", func(t *testing.T) {
		t.Parallel()
		p := b.photo(t, nil)
		for _, o := range []store.ClaimOpts{{Lease: 0, MaxAttempts: 1}, {Lease: lease, MaxAttempts: 0}} {
			if _, _, err := b.s.Claim(ctx(t), p.UUID, o); err == nil {
				t.Errorf("Claim with %+v succeeded", o)
			}
		}
	})
}

// A photo whose worker dies on it every time is claimed MaxAttempts times, then refused: the
// attempts of claims that were never settled count.
func TestClaimCountsUnsettledAttempts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, nil)
	for attempt := 1; attempt <= 3; attempt++ {
		got, res, err := b.claim(t, p.UUID, attempt > 1) // each later message is a redelivery
		if err != nil || (res != store.ClaimAcquired && res != store.ClaimTakenOver) || got.Attempts != attempt {
			t.Fatalf("claim %d = %v, attempts %d, %v; want acquired as attempt %d", attempt, res, got.Attempts, err, attempt)
		}
	}
	got, res, err := b.claim(t, p.UUID, true)
	if err != nil || res != store.ClaimExhausted || got.Attempts != 3 || got.Status != store.StatusProcessing {
		t.Fatalf("fourth claim = %v, %+v, %v; want exhausted, unchanged", res, got, err)
	}
}

// TestClaimConcurrent races many workers for the same pending photo: exactly one acquires it,
// the others find it busy.
func TestClaimConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const workers = 16
	for round := range 5 {
		p := b.photo(t, nil)
		results := make(chan store.ClaimResult, workers)
		var raced atomic.Int32 // busy answers from a claim that lost the race mid-statement
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				<-start
				seen, res, err := b.claim(t, p.UUID, false)
				if err != nil {
					t.Errorf("Claim: %v", err)
				}
				if res == store.ClaimBusy && seen.Status == store.StatusPending {
					raced.Add(1)
				}
				results <- res
			})
		}
		close(start)
		wg.Wait()
		close(results)
		counts := map[store.ClaimResult]int{}
		for r := range results {
			counts[r]++
		}
		if counts[store.ClaimAcquired] != 1 || counts[store.ClaimBusy] != workers-1 {
			t.Fatalf("round %d: results %v, want 1 acquired and %d busy", round, counts, workers-1)
		}
		t.Logf("round %d: %d of %d busy answers lost the race inside the statement", round, raced.Load(), workers-1)
		if got, _ := b.get(t, p.UUID); got.Attempts != 1 {
			t.Fatalf("round %d: attempts = %d, want 1", round, got.Attempts)
		}
	}
}

// A claim whose answer was lost is tried again with the same token: it gets the photo back
// without counting a second attempt. Another token is another claim.
func TestClaimRetriedWithItsToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.photo(t, nil)
	o := store.ClaimOpts{Lease: lease, MaxAttempts: 1, Token: uuid.New()}
	for try := 1; try <= 2; try++ {
		got, res, err := b.s.Claim(ctx(t), p.UUID, o)
		if err != nil || res != store.ClaimAcquired || got.Attempts != 1 {
			t.Fatalf("try %d = %v, attempts %d, %v; want acquired as attempt 1", try, res, got.Attempts, err)
		}
	}
	if _, res, err := b.s.Claim(ctx(t), p.UUID, store.ClaimOpts{Lease: lease, MaxAttempts: 1, Token: uuid.New()}); err != nil || res != store.ClaimBusy {
		t.Errorf("claim with another token = %v, %v; want busy", res, err)
	}
}

func TestClaimResultString(t *testing.T) {
	t.Parallel()
	for r, want := range map[store.ClaimResult]string{
		store.ClaimAcquired: "acquired", store.ClaimTakenOver: "taken over", store.ClaimCompleted: "completed",
		store.ClaimBusy: "busy", store.ClaimWaiting: "waiting for a retry", store.ClaimFailed: "failed",
		store.ClaimExhausted: "attempts exhausted", 0: "ClaimResult(0)",
	} {
		if got := r.String(); got != want {
			t.Errorf("ClaimResult(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}
