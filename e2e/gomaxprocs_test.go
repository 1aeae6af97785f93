package e2e

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// GOMAXPROCS is what the Go runtime chooses: the GOMAXPROCS variable when set, else its
// container-aware default. bild's package init would set it to the host's CPUs; the binary
// must not link it (tests and tools may).
func TestGOMAXPROCSIsTheRuntimes(t *testing.T) {
	bin := photoprocBinary(t)
	// This test binary imports bild too, so ask the runtime directly for its default.
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		env  string
		want int
	}{{"", def}, {"GOMAXPROCS=1", 1}, {"GOMAXPROCS=3", 3}} {
		cmd := exec.Command(bin, "version")
		cmd.Env = os.Environ()
		if tc.env != "" {
			cmd.Env = append(cmd.Env, tc.env)
		} else {
			cmd.Env = append(cmd.Env, "GOMAXPROCS=")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("photoproc version: %v\n%s", err, out)
		}
		if want := "GOMAXPROCS " + strconv.Itoa(tc.want) + "\n"; !strings.Contains(string(out), want) {
			t.Errorf("with %q: version says\n%s\nwant %q", tc.env, out, want)
		}
	}
}
