package store_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

const lease = time.Hour

func TestClaim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	past := time.Now().Add(-time.Hour)
	tests := []struct {
		name     string
		opts     storetest.PhotoOpts
		takeover bool
		want     store.ClaimResult
	}{
		{"pending", storetest.PhotoOpts{}, false, store.ClaimAcquired},
		{"pending, takeover", storetest.PhotoOpts{}, true, store.ClaimAcquired},
		{"failed", storetest.PhotoOpts{Status: store.StatusFailed}, false, store.ClaimAcquired},
		{"awaiting retry", storetest.PhotoOpts{FailureReason: "timeout", Attempts: 2}, false, store.ClaimAcquired},
		{"completed", storetest.PhotoOpts{Status: store.StatusCompleted}, false, store.ClaimCompleted},
		{"completed, takeover", storetest.PhotoOpts{Status: store.StatusCompleted}, true, store.ClaimCompleted},
		{"live lease", storetest.PhotoOpts{Status: store.StatusProcessing}, false, store.ClaimBusy},
		{"live lease, takeover", storetest.PhotoOpts{Status: store.StatusProcessing}, true, store.ClaimAcquired},
		{"expired lease", storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: past}, false, store.ClaimAcquired},
		{"expired lease, takeover", storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: past}, true, store.ClaimAcquired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := b.photo(t, &tt.opts)
			got, res, err := b.s.Claim(ctx(t), before.UUID, lease, tt.takeover)
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			if res != tt.want {
				t.Fatalf("Claim() = %v, want %v", res, tt.want)
			}
			after, _ := b.get(t, before.UUID)
			if got != after {
				t.Errorf("Claim returned %+v, the database holds %+v", got, after)
			}
			_, live := b.lease(t, before.UUID)
			if res != store.ClaimAcquired {
				// Nothing changes for a photo not acquired.
				if after != before {
					t.Errorf("photo changed from %+v to %+v", before, after)
				}
				return
			}
			if after.Status != store.StatusProcessing || after.Attempts != before.Attempts+1 ||
				after.FailureReason != "" || !live || after.UpdatedAt.Before(before.UpdatedAt) {
				t.Errorf("after Claim: %+v (lease live %v); want processing, attempts %d, no reason, a live lease",
					after, live, before.Attempts+1)
			}
		})
	}

	t.Run("unknown photo", func(t *testing.T) {
		t.Parallel()
		if _, _, err := b.s.Claim(ctx(t), uuid.New(), lease, true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Claim(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("lease must be positive", func(t *testing.T) {
		t.Parallel()
		p := b.photo(t, nil)
		if _, _, err := b.s.Claim(ctx(t), p.UUID, 0, false); err == nil {
			t.Error("Claim with a zero lease succeeded")
		}
	})
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
				seen, res, err := b.s.Claim(ctx(t), p.UUID, lease, false)
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

func TestClaimResultString(t *testing.T) {
	t.Parallel()
	for r, want := range map[store.ClaimResult]string{
		store.ClaimAcquired: "acquired", store.ClaimCompleted: "completed", store.ClaimBusy: "busy", 0: "ClaimResult(0)",
	} {
		if got := r.String(); got != want {
			t.Errorf("ClaimResult(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}
