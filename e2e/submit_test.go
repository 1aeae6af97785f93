package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestSubmitPending pages through the pending photos of a running daemon and queues them all,
// as the seed's submit_pending.py did; every photo then completes.
func TestSubmitPending(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, nil)
	const n = 120
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = h.addPhoto(t, h.photoURL("small-canon40d.jpg")).UUID
	}
	code, out, errOut := runCommand(t, "submit-pending", "--api", "http://"+h.addrs.HTTP, "--batch", "50")
	if code != 0 || !strings.Contains(out, "pending photos seen: 120, queued: 120, skipped: 0") {
		t.Fatalf("submit-pending = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "queued 120 of 120") {
		t.Errorf("no progress line on stderr: %q", errOut)
	}
	for id, p := range h.waitSettled(t, ids, 2*time.Minute) {
		if p.Status != "completed" {
			t.Errorf("%s: %s (%s)", id, p.Status, p.FailureReason)
		}
	}
}
