package e2e

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/photoproc/photoproc/thumbstore/s3test"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(cleanupAfter{m})
}

// cleanupAfter removes what the tests built or started outside their temporary directories
// (the photoproc binary child-process tests run, the shared S3 server) once they have all run.
type cleanupAfter struct{ m *testing.M }

func (c cleanupAfter) Run() int {
	code := c.m.Run()
	s3test.StopShared()
	if binaries.dir != "" {
		_ = os.RemoveAll(binaries.dir)
	}
	return code
}
