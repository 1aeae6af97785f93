package imaging

import (
	"testing"

	"go.uber.org/goleak"
)

// bild resizes on several goroutines; none may outlive a call.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
