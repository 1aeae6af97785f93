package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/storage"
)

func TestConfigBackend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		location, dir string
		backend       string
		problem       string // part of Validate's error; "" = valid
	}{
		{"", "./thumbs", storage.BackendLocal, ""},
		{"", "", "", "directory must be set"},
		{"/var/lib/photoproc/thumbs", "", storage.BackendLocal, ""},
		{"s3://photos", "", storage.BackendS3, ""},
		{"s3://photos/thumbs/", "", storage.BackendS3, ""},
		{"s3://my.photos-1/a/b", "", storage.BackendS3, ""},
		{"s3://Photos", "", "", "not a valid bucket name"},
		{"s3://ab", "", "", "not a valid bucket name"},
		{"s3://", "", "", "not a valid bucket name"},
		{"s3://photos/../x", "", "", "plain path"},
		{"s3://photos/a//b", "", "", "plain path"},
		{"gs://photos", "", "", "s3://BUCKET"},
	} {
		cfg := storage.DefaultConfig()
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
		mutate  func(*storage.Config)
		problem string
	}{
		{"defaults", func(*storage.Config) {}, ""},
		{"endpoint", func(c *storage.Config) { c.S3.Endpoint = "http://127.0.0.1:9000" }, ""},
		{"endpoint without scheme", func(c *storage.Config) { c.S3.Endpoint = "127.0.0.1:9000" }, "http(s)://host"},
		{"endpoint with a path", func(c *storage.Config) { c.S3.Endpoint = "https://s3.example.com/bucket" }, "http(s)://host"},
		{"public base URL", func(c *storage.Config) { c.PublicBaseURL = "https://cdn.example.com/t" }, ""},
		{"relative public base URL", func(c *storage.Config) { c.PublicBaseURL = "/thumbs" }, "public base URL"},
		{"half the keys", func(c *storage.Config) { c.S3.AccessKeyID = "id" }, "set together"},
		{"no timeout", func(c *storage.Config) { c.Timeout = 0 }, "timeout"},
	} {
		cfg := storage.DefaultConfig()
		cfg.Location = "s3://photos"
		tc.mutate(&cfg)
		err := cfg.Validate()
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.problem)
		}
	}
	if d := storage.DefaultConfig(); d.Dir != "./thumbs" || d.Timeout != 30*time.Second {
		t.Errorf("DefaultConfig = %+v", d)
	}
}
