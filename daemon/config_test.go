package daemon

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/thumbstore"
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

func loadEnv(t *testing.T, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return LoadConfig(nil, func(k string) string { return env[k] }, fs)
}

// Where thumbnails are stored, from PHOTOPROC_STORAGE and the standard AWS settings; a bad
// value stops start-up with a line naming its variable.
func TestStorageSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		problem string // part of the error; "" = valid
	}{
		{"default", nil, func(c Config) bool {
			return c.ThumbStore.Backend() == thumbstore.BackendLocal && c.ThumbStore.Dir == "./thumbs" && c.API.ThumbnailDelivery == api.DeliveryStream
		}, ""},
		{"thumbs dir", map[string]string{"PHOTOPROC_THUMBS_DIR": "/srv/thumbs"}, func(c Config) bool {
			return c.ThumbStore.Backend() == thumbstore.BackendLocal && c.ThumbStore.Dir == "/srv/thumbs"
		}, ""},
		{"bucket behind an endpoint", map[string]string{"PHOTOPROC_STORAGE": "s3://photos/thumbs", "AWS_ENDPOINT_URL": "http://minio:9000",
			"AWS_ENDPOINT_URL_S3": "http://s3.internal:9000", "AWS_DEFAULT_REGION": "eu-west-1", "PHOTOPROC_THUMBNAIL_DELIVERY": "presigned"}, func(c Config) bool {
			s := c.ThumbStore.S3
			return c.ThumbStore.Backend() == thumbstore.BackendS3 && s.Endpoint == "http://s3.internal:9000" && s.Region == "eu-west-1" &&
				s.PathStyle == nil && c.API.ThumbnailDelivery == api.DeliveryPresigned
		}, ""},
		{"path style off", map[string]string{"PHOTOPROC_STORAGE": "s3://photos", "PHOTOPROC_S3_PATH_STYLE": "false", "AWS_REGION": "us-west-2"}, func(c Config) bool {
			return c.ThumbStore.S3.PathStyle != nil && !*c.ThumbStore.S3.PathStyle && c.ThumbStore.S3.Region == "us-west-2"
		}, ""},
		{"public base URL", map[string]string{"PHOTOPROC_PUBLIC_BASE_URL": "https://cdn.example.com/t"}, func(c Config) bool {
			return c.ThumbStore.PublicBaseURL == "https://cdn.example.com/t"
		}, ""},
		{"an endpoint of other tools, local storage", map[string]string{"AWS_ENDPOINT_URL": "not a url"}, func(c Config) bool {
			return c.ThumbStore.Backend() == thumbstore.BackendLocal
		}, ""},
		{"bad bucket", map[string]string{"PHOTOPROC_STORAGE": "s3://No_Such"}, nil, "PHOTOPROC_STORAGE="},
		{"another scheme", map[string]string{"PHOTOPROC_STORAGE": "gs://photos"}, nil, "PHOTOPROC_STORAGE="},
		{"bad path style", map[string]string{"PHOTOPROC_S3_PATH_STYLE": "sometimes"}, nil, "PHOTOPROC_S3_PATH_STYLE="},
		{"bad base URL", map[string]string{"PHOTOPROC_PUBLIC_BASE_URL": "cdn.example.com"}, nil, "PHOTOPROC_PUBLIC_BASE_URL="},
		{"bad delivery", map[string]string{"PHOTOPROC_THUMBNAIL_DELIVERY": "email"}, nil, "PHOTOPROC_THUMBNAIL_DELIVERY="},
		{"bad endpoint", map[string]string{"PHOTOPROC_STORAGE": "s3://photos", "AWS_ENDPOINT_URL_S3": "minio:9000"}, nil, "AWS_ENDPOINT_URL_S3="},
		{"presigned from a directory", map[string]string{"PHOTOPROC_THUMBNAIL_DELIVERY": "presigned"}, nil, "PHOTOPROC_THUMBNAIL_DELIVERY=presigned: needs"},
	} {
		cfg, err := loadEnv(t, c.env)
		switch {
		case c.problem == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.problem != "" && (err == nil || !strings.Contains(err.Error(), c.problem)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.problem)
		case c.check != nil && !c.check(cfg):
			t.Errorf("%s: config %+v %+v", c.name, cfg.ThumbStore, cfg.API)
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
		cfg, err := loadEnv(t, env)
		if (err != nil) != c.bad {
			t.Fatalf("%q: %v", c.value, err)
		}
		if !c.bad && !slices.Equal(cfg.AdminHosts, c.want) {
			t.Errorf("%q: %q, want %q", c.value, cfg.AdminHosts, c.want)
		}
	}
}

// Every variable of the table names a Config field, its documented default is DefaultConfig's,
// and its names are its own: the table docs/configuration.md is made from cannot drift from
// what the daemon does.
func TestVariablesMatchDefaultConfig(t *testing.T) {
	t.Parallel()
	envs, flags := map[string]bool{}, map[string]bool{}
	for _, v := range variables() {
		if envs[v.env] || flags[v.flag] || v.usage == "" {
			t.Errorf("%s: a name used twice, or no meaning", v.env)
		}
		envs[v.env], flags[v.flag] = true, true
		def := DefaultConfig()
		f := reflect.ValueOf(fieldOf(&def, v.field)).Elem() // panics on a field that does not exist
		switch {
		case v.defNote != "":
			// Said in words (the number of CPUs, a rule): nothing to hold it to.
		case v.def == "":
			if !f.IsZero() {
				t.Errorf("%s: documented empty, but DefaultConfig's %s is %v", v.env, v.field, f)
			}
		default:
			cfg := DefaultConfig()
			if err := v.set(&cfg, v.def); err != nil || !reflect.DeepEqual(cfg, DefaultConfig()) {
				t.Errorf("%s: documented default %q is not DefaultConfig's %s (%v, %v)", v.env, v.def, v.field, f, err)
			}
		}
	}
}

// A bad setting is one line naming the variable (or the flag) and the value given, worded by
// the Validate of the package that owns the setting, with every problem reported at once.
func TestProblemsNameWhatSetThem(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env   map[string]string
		args  []string
		lines []string
	}{
		{env: map[string]string{"PHOTOPROC_THUMBNAIL_SIZE": "0"}, lines: []string{"PHOTOPROC_THUMBNAIL_SIZE=0: must be 1..16384 pixels"}},
		{env: map[string]string{"PHOTOPROC_THUMBNAIL_SIZE": "5000"}}, // imaging's range, not a stricter one here
		{env: map[string]string{"PHOTOPROC_LEASE": "500ms"}, lines: []string{"PHOTOPROC_LEASE=500ms: must be 1s..24h"}},
		{env: map[string]string{"PHOTOPROC_WORKERS": "2000"}, lines: []string{"PHOTOPROC_WORKERS=2000: must be 1..1024"}},
		{env: map[string]string{"PHOTOPROC_QUEUE": strings.Repeat("q", 250)}, lines: []string{"PHOTOPROC_QUEUE=" + strings.Repeat("q", 250) + `: too long: the queue "` + strings.Repeat("q", 250) + `.retry.1s" is 259 bytes, the broker allows 255`}},
		{env: map[string]string{"PHOTOPROC_QUEUE": strings.Repeat("q", 230)}},
		{env: map[string]string{"PHOTOPROC_ROLE": "everything"}, lines: []string{"PHOTOPROC_ROLE=everything: must be all, api or worker"}},
		{env: map[string]string{"PHOTOPROC_WORKERS": "many"}, lines: []string{"PHOTOPROC_WORKERS=many: want a whole number"}},
		{env: map[string]string{"PHOTOPROC_PUBLIC_BASE_URL": "https://cdn.example.com/t?v=2"},
			lines: []string{"PHOTOPROC_PUBLIC_BASE_URL=https://cdn.example.com/t?v=2: must be an http(s) URL with a host, and no query, fragment or credentials"}},
		{env: map[string]string{"PHOTOPROC_RETRY_BACKOFF": "10m", "PHOTOPROC_MAX_ATTEMPTS": "0"},
			lines: []string{"PHOTOPROC_MAX_ATTEMPTS=0: must be 1..20", "PHOTOPROC_RETRY_BACKOFF=10m: must be 1ms..5m (the longest retry delay)"}},
		{env: map[string]string{"PHOTOPROC_ADMIN_HOSTS": "ok, bad:9090"}, lines: []string{"PHOTOPROC_ADMIN_HOSTS=ok, bad:9090: must be a host name, without port or scheme"}},
		{args: []string{"--thumbnail-size=0", "--log-level=loud"}, lines: []string{"--thumbnail-size=0: must be 1..16384 pixels", "--log-level=loud: must be debug, info, warn or error"}},
		{env: map[string]string{"PG_CONNECTION_URI": "postgres://u:s3cret@db:notaport/photoproc"}, lines: []string{"PG_CONNECTION_URI: "}},
		{env: map[string]string{"PHOTOPROC_JPEG_QUALITY": "0", "PHOTOPROC_MAX_PIXELS": "0", "PHOTOPROC_DOWNLOAD_TIMEOUT": "2h", "PHOTOPROC_MAX_DOWNLOAD_BYTES": "0"},
			lines: []string{"PHOTOPROC_DOWNLOAD_TIMEOUT=2h: must be 1ms..1h", "PHOTOPROC_MAX_DOWNLOAD_BYTES=0: must be 1..", "PHOTOPROC_MAX_PIXELS=0: must be at least 1", "PHOTOPROC_JPEG_QUALITY=0: must be 1..100"}},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		_, err := LoadConfig(c.args, func(k string) string { return c.env[k] }, fs)
		var got []string
		if err != nil {
			got = strings.Split(err.Error(), "\n")
		}
		if len(got) != len(c.lines) {
			t.Errorf("%v %v: %d lines %q, want %d", c.env, c.args, len(got), got, len(c.lines))
			continue
		}
		for i, want := range c.lines {
			if !strings.HasPrefix(got[i], want) {
				t.Errorf("%v %v: line %q, want it to start %q", c.env, c.args, got[i], want)
			}
		}
		if strings.Contains(fmt.Sprint(err), "s3cret") {
			t.Errorf("a password reached the message: %v", err)
		}
	}
}

// The queue's delay queues are the retry policy's schedule: one policy, set by its variables.
func TestDelayQueuesFollowTheRetryPolicy(t *testing.T) {
	t.Parallel()
	cfg, err := loadEnv(t, map[string]string{"PHOTOPROC_RETRY_BACKOFF": "2m", "PHOTOPROC_MAX_ATTEMPTS": "7"})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 5 * time.Minute}
	if cfg.Pool.Retry.MaxAttempts != 7 || !slices.Equal(cfg.Queue.RetryDelays, want) {
		t.Fatalf("policy %+v, delay queues %v; want 7 attempts and %v", cfg.Pool.Retry, cfg.Queue.RetryDelays, want)
	}
}

// photoproc healthcheck asks the admin listener the daemon beside it was configured with.
func TestReadyURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"":               "http://127.0.0.1:9090/readyz",
		":9191":          "http://127.0.0.1:9191/readyz",
		"0.0.0.0:9191":   "http://127.0.0.1:9191/readyz",
		"[::]:9191":      "http://[::1]:9191/readyz",
		"10.1.2.3:9191":  "http://10.1.2.3:9191/readyz",
		"[fd00::1]:9191": "http://[fd00::1]:9191/readyz",
		"photoproc:9191": "http://photoproc:9191/readyz",
		"localhost:9191": "http://localhost:9191/readyz",
		"not an address": "",
	} {
		got, err := ReadyURL(func(k string) string { return map[string]string{"PHOTOPROC_ADMIN_ADDR": addr}[k] })
		if got != want || (err != nil) != (want == "") {
			t.Errorf("PHOTOPROC_ADMIN_ADDR=%q: %q, %v; want %q", addr, got, err, want)
		}
	}
}

// Thumbnail sizes and formats: PHOTOPROC_THUMBNAIL_SIZES defaults to the one box of
// PHOTOPROC_THUMBNAIL_SIZE and overrides it; the daemon parses, imaging checks the ranges, and a
// bad value stops start-up naming its variable.
func TestThumbnailSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		env     map[string]string
		boxes   []int
		formats []imaging.Format
		problem string // part of the error; "" = valid
	}{
		{"default", nil, []int{320}, []imaging.Format{imaging.JPEG}, ""},
		{"one size", map[string]string{"PHOTOPROC_THUMBNAIL_SIZE": "256"}, []int{256}, nil, ""},
		{"sizes", map[string]string{"PHOTOPROC_THUMBNAIL_SIZES": "640, 320,1280"}, []int{640, 320, 1280}, nil, ""},
		{"sizes over size", map[string]string{"PHOTOPROC_THUMBNAIL_SIZE": "256", "PHOTOPROC_THUMBNAIL_SIZES": "320,640"}, []int{320, 640}, nil, ""},
		{"format twice", map[string]string{"PHOTOPROC_THUMBNAIL_FORMATS": "jpeg, jpeg"}, nil, nil, "PHOTOPROC_THUMBNAIL_FORMATS=jpeg, jpeg: jpeg given twice"},
		{"not a number", map[string]string{"PHOTOPROC_THUMBNAIL_SIZES": "320,big"}, nil, nil, `PHOTOPROC_THUMBNAIL_SIZES=320,big: want comma-separated whole numbers, got "big"`},
		{"size twice", map[string]string{"PHOTOPROC_THUMBNAIL_SIZES": "320,320"}, nil, nil, "PHOTOPROC_THUMBNAIL_SIZES=320,320: box 320 given twice"},
		{"no jpeg", map[string]string{"PHOTOPROC_THUMBNAIL_FORMATS": "png"}, nil, nil, "PHOTOPROC_THUMBNAIL_FORMATS=png: \"png\": want jpeg, webp or avif"},
		{"AVIF quality", map[string]string{"PHOTOPROC_AVIF_QUALITY": "high"}, nil, nil, "PHOTOPROC_AVIF_QUALITY=high: want a whole number"},
		{"WebP quality", map[string]string{"PHOTOPROC_WEBP_QUALITY": "101"}, nil, nil, "PHOTOPROC_WEBP_QUALITY=101: must be 1..100"},
	} {
		cfg, err := loadEnv(t, c.env)
		if c.problem != "" {
			if err == nil || !strings.Contains(err.Error(), c.problem) {
				t.Errorf("%s: %v, want an error with %q", c.name, err, c.problem)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if c.boxes != nil && !slices.Equal(cfg.Imaging.Boxes(), c.boxes) {
			t.Errorf("%s: boxes %v, want %v", c.name, cfg.Imaging.Boxes(), c.boxes)
		}
		if c.formats != nil && !slices.Equal(cfg.Imaging.Formats, c.formats) {
			t.Errorf("%s: formats %v, want %v", c.name, cfg.Imaging.Formats, c.formats)
		}
	}
	every := map[string]string{"PHOTOPROC_THUMBNAIL_FORMATS": "jpeg,webp,avif", "PHOTOPROC_WEBP_QUALITY": "80", "PHOTOPROC_AVIF_QUALITY": "60"}
	cfg, err := loadEnv(t, every)
	if imaging.EncoderSupport() == "JPEG image/jpeg, WebP none, AVIF none" {
		// A pure-Go build refuses them at start-up, by name.
		if err == nil || !strings.Contains(err.Error(), "PHOTOPROC_THUMBNAIL_FORMATS=jpeg,webp,avif: webp: this build has no WebP encoder (built without cgo)") {
			t.Errorf("every format, pure Go: %v", err)
		}
	} else if err != nil || !slices.Equal(cfg.Imaging.Formats, []imaging.Format{imaging.JPEG, imaging.WebP, imaging.AVIF}) ||
		cfg.Imaging.WebPQuality != 80 || cfg.Imaging.AVIFQuality != 60 {
		t.Errorf("every format: %+v, %v", cfg.Imaging, err)
	}
}
