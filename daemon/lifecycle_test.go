package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// A stop gives the pool's drain all of PHOTOPROC_SHUTDOWN_TIMEOUT plus its hand-back time,
// whatever the other steps take, and the other steps their own time on top: none is cut to a
// fixed 10s. (Deadlines are compared with the time before the stop began: lower bounds, which
// a slow machine can only make larger.)
func TestStopGivesTheDrainTheWholeShutdownTimeout(t *testing.T) {
	t.Parallel()
	const shutdown = 20 * time.Minute
	lc := &lifecycle{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	deadlines := map[string]time.Duration{}
	var begin time.Time
	record := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			d, ok := ctx.Deadline()
			if !ok {
				t.Errorf("step %s has no deadline", name)
			}
			deadlines[name] = d.Sub(begin)
			return nil
		}
	}
	lc.onStop("store", record("store"))
	lc.onStopWithin("pool", shutdown+handBackTime, record("pool"))
	lc.onStop("listener", record("listener"))
	begin = time.Now()
	lc.stop()

	if d := deadlines["pool"]; d < shutdown+handBackTime {
		t.Errorf("the pool's step got %s, want at least the shutdown timeout %s plus %s to hand back", d, shutdown, handBackTime)
	}
	for _, name := range []string{"store", "listener"} {
		if d := deadlines[name]; d <= 0 || d > shutdown {
			t.Errorf("step %s got %s, want a budget of its own (at most %s)", name, d, stepTimeout)
		}
	}
	if got, want := StopTimeout(Config{}), handBackTime+stopOverhead; got != want {
		t.Errorf("StopTimeout with no drain = %s, want %s", got, want)
	}
}

// The systemd unit's TimeoutStopSec and Compose's stop_grace_period allow the longest stop of
// the default configuration (a longer PHOTOPROC_SHUTDOWN_TIMEOUT is asked of systemd at stop).
func TestDeployFilesAllowTheStop(t *testing.T) {
	t.Parallel()
	want := StopTimeout(DefaultConfig())
	for _, f := range []struct{ path, pattern string }{
		{"../deploy/systemd/photoproc.service", `(?m)^TimeoutStopSec=(\d+)s?$`},
		{"../docker-compose.yml", `(?m)^\s+stop_grace_period: (\d+)s\b`},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(f.pattern).FindSubmatch(b)
		if m == nil {
			t.Errorf("%s: no %s", f.path, f.pattern)
			continue
		}
		secs, _ := strconv.Atoi(string(m[1]))
		if got := time.Duration(secs) * time.Second; got != want {
			t.Errorf("%s allows %s for a stop, want %s (PHOTOPROC_SHUTDOWN_TIMEOUT + 25s)", f.path, got, want)
		}
	}
}
