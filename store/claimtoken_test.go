package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

// A claim is named by its token, not by {photo, attempt}, which comes round again after an
// Unclaim or a Reopen: a stale worker, whose claim was undone and the photo claimed again with
// the same attempt number, settles nothing and keeps no lease alive.
func TestStaleClaimSettlesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name  string
		undo  func(t *testing.T, c store.Claim) // ends the stale claim so that the next one has its attempt number
		again int                               // the attempt number of the newer claim
	}{
		{"after an unclaim", func(t *testing.T, c store.Claim) {
			if err := b.s.Unclaim(ctx(t), c); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"after a reopen", func(t *testing.T, c store.Claim) {
			if err := b.s.Fail(ctx(t), c, "404"); err != nil {
				t.Fatal(err)
			}
			if err := b.s.Reopen(ctx(t), []uuid.UUID{c.Photo}); err != nil {
				t.Fatal(err)
			}
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := b.photo(t, nil)
			first, res, err := b.claim(t, p.UUID, false)
			if err != nil || res != store.ClaimAcquired {
				t.Fatalf("first claim: %v, %v", res, err)
			}
			stale := first.Claim()
			tc.undo(t, stale)
			second, res, err := b.claim(t, p.UUID, false)
			if err != nil || res != store.ClaimAcquired || second.Attempts != tc.again {
				t.Fatalf("second claim: %v attempt %d, %v; want acquired, attempt %d", res, second.Attempts, err, tc.again)
			}
			if second.ClaimToken == stale.Token || second.ClaimToken == uuid.Nil {
				t.Fatalf("second claim's token %s, want a new one (the first was %s)", second.ClaimToken, stale.Token)
			}

			for name, settle := range map[string]func() error{
				"Release": func() error { return b.s.Release(ctx(t), stale, "late", time.Hour) },
				"Fail":    func() error { return b.s.Fail(ctx(t), stale, "late") },
				"Unclaim": func() error { return b.s.Unclaim(ctx(t), stale) },
			} {
				if err := settle(); !errors.Is(err, store.ErrNotClaimed) {
					t.Errorf("%s by the stale claim = %v, want ErrNotClaimed", name, err)
				}
			}
			lost, err := b.s.ExtendLeases(ctx(t), lease, []store.Claim{stale, second.Claim()})
			if err != nil || len(lost) != 1 || lost[0] != stale {
				t.Errorf("ExtendLeases lost %v, %v; want the stale claim only", lost, err)
			}
			after, _ := b.get(t, p.UUID)
			if after.Status != store.StatusProcessing || after.Attempts != tc.again || after.ClaimToken != second.ClaimToken {
				t.Errorf("photo %s attempt %d token %s; want the second claim's, untouched", after.Status, after.Attempts, after.ClaimToken)
			}
			if err := b.s.Release(ctx(t), second.Claim(), "503", time.Hour); err != nil {
				t.Errorf("Release by the claim holding the photo = %v", err)
			}
		})
	}
}

// A photo requeued while its worker lives (its lease ran out during a database outage, or an
// operator requeued it as stuck) keeps its lease extended by that worker, but stays requeued:
// the message published for it takes it over, after which the first worker settles nothing
// and learns, at its next extension, that the claim is lost. ExtendLeases ignoring
// requeued_at is harmless.
func TestExtendLeasesOfARequeuedClaim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A living worker's claim whose lease ran out.
	p := b.photo(t, &storetest.PhotoOpts{Status: store.StatusProcessing, LeaseUntil: time.Now().Add(-time.Minute),
		ClaimToken: uuid.New()})
	first := p
	if ids, err := b.s.ExpiredLeases(ctx(t), lease, 10); err != nil || !slices.Contains(ids, p.UUID) {
		t.Fatalf("ExpiredLeases = %v, %v; want the photo requeued", ids, err)
	}
	if lost, err := b.s.ExtendLeases(ctx(t), lease, []store.Claim{first.Claim()}); err != nil || len(lost) != 0 {
		t.Fatalf("ExtendLeases of the living worker's claim lost %v, %v; want it extended", lost, err)
	}
	again, res, err := b.claim(t, p.UUID, false) // the requeued message, not a redelivery
	if err != nil || res != store.ClaimTakenOver {
		t.Fatalf("claim of the requeued photo = %v, %v; want taken over, though its lease was extended", res, err)
	}
	if err := b.s.Release(ctx(t), first.Claim(), "late", time.Hour); !errors.Is(err, store.ErrNotClaimed) {
		t.Errorf("Release by the first worker = %v, want ErrNotClaimed", err)
	}
	if lost, err := b.s.ExtendLeases(ctx(t), lease, []store.Claim{first.Claim(), again.Claim()}); err != nil ||
		len(lost) != 1 || lost[0] != first.Claim() {
		t.Errorf("ExtendLeases lost %v, %v; want the first claim only", lost, err)
	}
}
