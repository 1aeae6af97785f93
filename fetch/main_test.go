package fetch

import (
	"testing"

	"go.uber.org/goleak"
)

// Transports start read and write goroutines per connection; every test closes its Fetcher and
// server, and this checks nothing outlives the run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
