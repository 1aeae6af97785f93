package thumbstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/thumbstore"
)

func TestConfigBackend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		location, dir string
		backend       string
		problem       string // part of Validate's error; "" = valid
	}{
		{"", "./thumbs", thumbstore.BackendLocal, ""},
		{"", "", "", "directory must be set"},
		{"/var/lib/photoproc/thumbs", "", thumbstore.BackendLocal, ""},
		{"s3://photos", "", thumbstore.BackendS3, ""},
		{"s3://photos/thumbs/", "", thumbstore.BackendS3, ""},
		{"s3://my.photos-1/a/b", "", thumbstore.BackendS3, ""},
		{"s3://Photos", "", "", "not a valid bucket name"},
		{"s3://ab", "", "", "not a valid bucket name"},
		{"s3://", "", "", "not a valid bucket name"},
		{"s3://photos/../x", "", "", "plain path"},
		{"s3://photos/a//b", "", "", "plain path"},
		{"gs://photos", "", "", "s3://BUCKET"},
	} {
		cfg := thumbstore.DefaultConfig()
		cfg.Location, cfg.Dir = tc.location, tc.dir
		err := cfg.Validate()
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("Location %q Dir %q: Validate = %v, want %q", tc.location, tc.dir, err, tc.problem)
		}
		if got := cfg.Backend(); got != tc.backend {
			t.Errorf("Location %q: Backend = %q, want %q", tc.location, got, tc.backend)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		mutate  func(*thumbstore.Config)
		problem string
	}{
		{"defaults", func(*thumbstore.Config) {}, ""},
		{"endpoint", func(c *thumbstore.Config) { c.S3.Endpoint = "http://127.0.0.1:9000" }, ""},
		{"endpoint without scheme", func(c *thumbstore.Config) { c.S3.Endpoint = "127.0.0.1:9000" }, "http(s)://host"},
		{"endpoint with a path", func(c *thumbstore.Config) { c.S3.Endpoint = "https://s3.example.com/bucket" }, "http(s)://host"},
		{"public base URL", func(c *thumbstore.Config) { c.PublicBaseURL = "https://cdn.example.com/t" }, ""},
		{"relative public base URL", func(c *thumbstore.Config) { c.PublicBaseURL = "/thumbs" }, "public base URL"},
		{"public base URL with a query", func(c *thumbstore.Config) { c.PublicBaseURL = "https://cdn.example.com/t?v=1" }, "no query"},
		{"public base URL with an empty query", func(c *thumbstore.Config) { c.PublicBaseURL = "https://cdn.example.com/t?" }, "no query"},
		{"public base URL with a fragment", func(c *thumbstore.Config) { c.PublicBaseURL = "https://cdn.example.com/t#x" }, "no query"},
		{"public base URL with credentials", func(c *thumbstore.Config) { c.PublicBaseURL = "https://u:p@cdn.example.com/t" }, "credentials"},
		{"public base URL without a host", func(c *thumbstore.Config) { c.PublicBaseURL = "https:///t" }, "with a host"},
		{"half the keys", func(c *thumbstore.Config) { c.S3.AccessKeyID = "id" }, "set together"},
		{"no timeout", func(c *thumbstore.Config) { c.Timeout = 0 }, "timeout"},
	} {
		cfg := thumbstore.DefaultConfig()
		cfg.Location = "s3://photos"
		tc.mutate(&cfg)
		err := cfg.Validate()
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.problem)
		}
	}
	if d := thumbstore.DefaultConfig(); d.Dir != "./thumbs" || d.Timeout != 30*time.Second {
		t.Errorf("DefaultConfig = %+v", d)
	}
}
