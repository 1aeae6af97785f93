package thumbstore_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/photoproc/photoproc/thumbstore/s3test"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(stopAfter{m}) }

// stopAfter stops the shared S3 server once every test has run.
type stopAfter struct{ m *testing.M }

func (s stopAfter) Run() int {
	code := s.m.Run()
	s3test.StopShared()
	return code
}
