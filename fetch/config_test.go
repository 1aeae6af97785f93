package fetch

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfig(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("DefaultConfig is invalid: %v", err)
	}
	want := Config{Timeout: 30 * time.Second, ConnectTimeout: 10 * time.Second, MaxBytes: 50 << 20,
		MaxRedirects: 5, UserAgent: DefaultUserAgent}
	if cfg.Timeout != want.Timeout || cfg.ConnectTimeout != want.ConnectTimeout || cfg.MaxBytes != want.MaxBytes ||
		cfg.MaxRedirects != want.MaxRedirects || cfg.AllowPrivate || len(cfg.AllowedHosts) != 0 || cfg.UserAgent != want.UserAgent {
		t.Errorf("DefaultConfig() = %+v, want %+v", cfg, want)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*Config)
		wantMsg []string // "" = valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"zero redirects", func(c *Config) { c.MaxRedirects = 0 }, nil},
		{"allow-list", func(c *Config) {
			c.AllowedHosts = []string{"photos.example.com", "*.cdn.example.net", "203.0.113.5", "::1"}
		}, nil},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, []string{"timeout 0s: must be 1ms..1h"}},
		{"negative connect timeout", func(c *Config) { c.ConnectTimeout = -time.Second }, []string{"connect timeout must be positive"}},
		{"zero max bytes", func(c *Config) { c.MaxBytes = 0 }, []string{"max bytes 0: must be 1.."}},
		{"max bytes overflows", func(c *Config) { c.MaxBytes = math.MaxInt64 }, []string{"max bytes 9223372036854775807: must be 1.."}},
		{"negative redirects", func(c *Config) { c.MaxRedirects = -1 }, []string{"max redirects must not be negative"}},
		{"empty user agent", func(c *Config) { c.UserAgent = " " }, []string{"user agent must not be empty"}},
		{"user agent with newline", func(c *Config) { c.UserAgent = "a\r\nX-Evil: 1" }, []string{"control characters"}},
		{"allowed host with scheme", func(c *Config) { c.AllowedHosts = []string{"https://example.com"} }, []string{`allowed host "https://example.com"`}},
		{"allowed host with port", func(c *Config) { c.AllowedHosts = []string{"example.com:443"} }, []string{`allowed host "example.com:443"`}},
		{"allowed host empty", func(c *Config) { c.AllowedHosts = []string{""} }, []string{"empty host name"}},
		{"bare wildcard", func(c *Config) { c.AllowedHosts = []string{"*"} }, []string{`"*" is only allowed`}},
		{"wildcard without domain", func(c *Config) { c.AllowedHosts = []string{"*."} }, []string{`"*" is only allowed`}},
		{"wildcard with root only", func(c *Config) { c.AllowedHosts = []string{"*.."} }, []string{`"*." needs a domain`}},
		{"inner wildcard", func(c *Config) { c.AllowedHosts = []string{"photos.*.com"} }, []string{`"*" is only allowed`}},
		{"empty label", func(c *Config) { c.AllowedHosts = []string{"a..com"} }, []string{"empty label"}},
		{"every problem at once", func(c *Config) {
			*c = Config{MaxRedirects: -2, AllowedHosts: []string{"a/b"}}
		}, []string{"timeout 0s", "connect timeout", "max bytes", "max redirects", `allowed host "a/b"`, "user agent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if len(tt.wantMsg) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Validate() = %q, does not say %q", err, m)
				}
			}
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tt.wantMsg[0]) {
				t.Errorf("New accepted the config or hid the problem: %v", err)
			}
		})
	}
}
