package imaging

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; none means valid
	}{
		{name: "default", edit: func(*Config) {}},
		{name: "smallest", edit: func(c *Config) { *c = Config{Size: 1, Quality: 1, MaxPixels: 1, DecodeTimeout: 1} }},
		{name: "largest", edit: func(c *Config) { c.Size, c.Quality = MaxSize, 100 }},
		{name: "zero size", edit: func(c *Config) { c.Size = 0 }, want: []string{"thumbnail size 0"}},
		{name: "huge size", edit: func(c *Config) { c.Size = MaxSize + 1 }, want: []string{"thumbnail size"}},
		{name: "quality 0", edit: func(c *Config) { c.Quality = 0 }, want: []string{"JPEG quality 0"}},
		{name: "quality 101", edit: func(c *Config) { c.Quality = 101 }, want: []string{"JPEG quality 101"}},
		{name: "no pixels", edit: func(c *Config) { c.MaxPixels = 0 }, want: []string{"max pixels 0"}},
		{name: "no decode time", edit: func(c *Config) { c.DecodeTimeout = 0 }, want: []string{"decode timeout 0s"}},
		{name: "all wrong at once", edit: func(c *Config) { *c = Config{} },
			want: []string{"thumbnail size", "JPEG quality", "max pixels", "decode timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			_, newErr := New(cfg)
			if len(tc.want) == 0 {
				if err != nil || newErr != nil {
					t.Fatalf("Validate() = %v, New() = %v; want both nil", err, newErr)
				}
				return
			}
			if err == nil || newErr == nil {
				t.Fatalf("Validate() = %v, New() = %v; want errors", err, newErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestDefaultConfigMatchesSpec(t *testing.T) {
	t.Parallel()
	want := Config{Size: 320, Quality: 90, MaxPixels: 50_000_000, DecodeTimeout: time.Minute}
	if got := DefaultConfig(); got != want {
		t.Fatalf("DefaultConfig() = %+v, want %+v (docs/contract.md defaults, and a minute to decode)", got, want)
	}
}
