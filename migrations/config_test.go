package migrations_test

import (
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/migrations"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*migrations.Config)
		want   []string // substrings of the error; none = valid
	}{
		{"defaults", func(*migrations.Config) {}, nil},
		{"schema-qualified table", func(c *migrations.Config) { c.VersionTable = "public.schema_version" }, nil},
		{"zero timeout", func(c *migrations.Config) { c.LockTimeout = 0 }, []string{"lock timeout"}},
		{"sub-millisecond timeout", func(c *migrations.Config) { c.LockTimeout = time.Microsecond }, []string{"lock timeout"}},
		{"empty table", func(c *migrations.Config) { c.VersionTable = "" }, []string{"version table"}},
		{"injection", func(c *migrations.Config) { c.VersionTable = "v; drop table photos" }, []string{"version table"}},
		{"all at once", func(c *migrations.Config) { c.LockTimeout = -1; c.VersionTable = "A" }, []string{"lock timeout", "version table"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := migrations.DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors about %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	t.Parallel()
	cfg := migrations.DefaultConfig()
	if cfg.LockTimeout != 30*time.Second || cfg.VersionTable != "schema_version" {
		t.Errorf("DefaultConfig() = %+v", cfg)
	}
}
