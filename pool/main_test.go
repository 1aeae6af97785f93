package pool

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: every worker, sweeper, lease
// keeper and probe the pool starts must end when it is stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
