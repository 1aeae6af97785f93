package daemon

import (
	"flag"
	"io"
	"testing"
	"time"
)

// The lease sweeper looks at least twice per lease, so a short PHOTOPROC_LEASE makes abandoned
// photos come back soon, and never more than once a second or less than once a minute.
func TestSweepIntervalFollowsTheLease(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lease string
		want  time.Duration
	}{
		{"", time.Minute}, // default lease 5m
		{"10m", time.Minute},
		{"90s", 45 * time.Second},
		{"2s", time.Second},
		{"1s", time.Second},
	} {
		env := map[string]string{"PHOTOPROC_LEASE": c.lease}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, err := LoadConfig(nil, func(k string) string { return env[k] }, fs)
		if err != nil {
			t.Fatalf("lease %q: %v", c.lease, err)
		}
		if cfg.Pool.SweepInterval != c.want {
			t.Errorf("lease %q: sweep interval %s, want %s", c.lease, cfg.Pool.SweepInterval, c.want)
		}
	}
}
