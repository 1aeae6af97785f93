package daemon

import (
	"flag"
	"io"
	"slices"
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

func TestAdminHosts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		value string
		want  []string
		bad   bool
	}{
		{"", nil, false},
		{"photoproc", []string{"photoproc"}, false},
		{" photoproc , admin.example.com,", []string{"photoproc", "admin.example.com"}, false},
		{"photoproc:9090", nil, true},
		{"https://admin.example.com", nil, true},
	} {
		env := map[string]string{"PHOTOPROC_ADMIN_HOSTS": c.value}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, err := LoadConfig(nil, func(k string) string { return env[k] }, fs)
		if (err != nil) != c.bad {
			t.Fatalf("%q: %v", c.value, err)
		}
		if !c.bad && !slices.Equal(cfg.AdminHosts, c.want) {
			t.Errorf("%q: %q, want %q", c.value, cfg.AdminHosts, c.want)
		}
	}
}
