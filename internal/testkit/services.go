package testkit

import (
	"strings"
	"testing"
)

// NeedServices skips the test under -short, in one line naming the services it needs
// ("Postgres", "RabbitMQ", "an S3 server"), so that `go test -short ./...` runs every unit
// test on a machine where none of them answers. Without -short it does nothing: a test whose
// service does not answer fails, saying what to start (`make test` never passes -short).
//
// The helpers that hand a test its own database, queues or bucket (storetest, queuetest,
// s3test) call it, so a test calls it itself only when it reaches a service another way.
func NeedServices(tb testing.TB, services ...string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("needs %s: skipped under -short", strings.Join(services, " and "))
	}
}
