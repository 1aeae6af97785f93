package daemon

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/storage"
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
			return c.Storage.Backend() == storage.BackendLocal && c.Storage.Dir == "./thumbs" && c.API.ThumbnailDelivery == api.DeliveryStream
		}, ""},
		{"thumbs dir", map[string]string{"PHOTOPROC_THUMBS_DIR": "/srv/thumbs"}, func(c Config) bool {
			return c.Storage.Backend() == storage.BackendLocal && c.Storage.Dir == "/srv/thumbs"
		}, ""},
		{"bucket behind an endpoint", map[string]string{"PHOTOPROC_STORAGE": "s3://photos/thumbs", "AWS_ENDPOINT_URL": "http://minio:9000",
			"AWS_ENDPOINT_URL_S3": "http://s3.internal:9000", "AWS_DEFAULT_REGION": "eu-west-1", "PHOTOPROC_THUMBNAIL_DELIVERY": "presigned"}, func(c Config) bool {
			s := c.Storage.S3
			return c.Storage.Backend() == storage.BackendS3 && s.Endpoint == "http://s3.internal:9000" && s.Region == "eu-west-1" &&
				s.PathStyle == nil && c.API.ThumbnailDelivery == api.DeliveryPresigned
		}, ""},
		{"path style off", map[string]string{"PHOTOPROC_STORAGE": "s3://photos", "PHOTOPROC_S3_PATH_STYLE": "false", "AWS_REGION": "us-west-2"}, func(c Config) bool {
			return c.Storage.S3.PathStyle != nil && !*c.Storage.S3.PathStyle && c.Storage.S3.Region == "us-west-2"
		}, ""},
		{"public base URL", map[string]string{"PHOTOPROC_PUBLIC_BASE_URL": "https://cdn.example.com/t"}, func(c Config) bool {
			return c.Storage.PublicBaseURL == "https://cdn.example.com/t"
		}, ""},
		{"an endpoint of other tools, local storage", map[string]string{"AWS_ENDPOINT_URL": "not a url"}, func(c Config) bool {
			return c.Storage.Backend() == storage.BackendLocal
		}, ""},
		{"bad bucket", map[string]string{"PHOTOPROC_STORAGE": "s3://No_Such"}, nil, "PHOTOPROC_STORAGE: "},
		{"another scheme", map[string]string{"PHOTOPROC_STORAGE": "gs://photos"}, nil, "PHOTOPROC_STORAGE: "},
		{"bad path style", map[string]string{"PHOTOPROC_S3_PATH_STYLE": "sometimes"}, nil, "PHOTOPROC_S3_PATH_STYLE: "},
		{"bad base URL", map[string]string{"PHOTOPROC_PUBLIC_BASE_URL": "cdn.example.com"}, nil, "PHOTOPROC_PUBLIC_BASE_URL: "},
		{"bad delivery", map[string]string{"PHOTOPROC_THUMBNAIL_DELIVERY": "email"}, nil, "PHOTOPROC_THUMBNAIL_DELIVERY: "},
		{"bad endpoint", map[string]string{"PHOTOPROC_STORAGE": "s3://photos", "AWS_ENDPOINT_URL_S3": "minio:9000"}, nil, "AWS_ENDPOINT_URL_S3: "},
		{"presigned from a directory", map[string]string{"PHOTOPROC_THUMBNAIL_DELIVERY": "presigned"}, nil, "PHOTOPROC_THUMBNAIL_DELIVERY: presigned needs"},
	} {
		cfg, err := loadEnv(t, c.env)
		switch {
		case c.problem == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.problem != "" && (err == nil || !strings.Contains(err.Error(), c.problem)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.problem)
		case c.check != nil && !c.check(cfg):
			t.Errorf("%s: config %+v %+v", c.name, cfg.Storage, cfg.API)
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

// Thumbnail sizes and formats: PHOTOPROC_THUMBNAIL_SIZES defaults to the one box of
// PHOTOPROC_THUMBNAIL_SIZE and overrides it; the daemon parses, imaging checks the ranges, and a
// bad value stops start-up naming its variable or the setting.
func TestThumbnailSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		env     map[string]string
		sizes   []int
		formats []imaging.Format
		problem string // part of the error; "" = valid
	}{
		{"default", nil, []int{320}, []imaging.Format{imaging.JPEG}, ""},
		{"one size", map[string]string{"PHOTOPROC_THUMBNAIL_SIZE": "256"}, []int{256}, nil, ""},
		{"sizes", map[string]string{"PHOTOPROC_THUMBNAIL_SIZES": "640, 320,1280"}, []int{640, 320, 1280}, nil, ""},
		{"sizes over size", map[string]string{"PHOTOPROC_THUMBNAIL_SIZE": "256", "PHOTOPROC_THUMBNAIL_SIZES": "320,640"}, []int{320, 640}, nil, ""},
		{"formats", map[string]string{"PHOTOPROC_THUMBNAIL_FORMATS": "JPEG, jpeg"}, nil, nil, "imaging: thumbnail format jpeg: given twice"},
		{"not a number", map[string]string{"PHOTOPROC_THUMBNAIL_SIZES": "320,big"}, nil, nil, `PHOTOPROC_THUMBNAIL_SIZES: want comma-separated whole numbers such as 320,640,1280, got "320,big"`},
		{"size twice", map[string]string{"PHOTOPROC_THUMBNAIL_SIZES": "320,320"}, nil, nil, "imaging: thumbnail size 320: given twice"},
		{"no jpeg", map[string]string{"PHOTOPROC_THUMBNAIL_FORMATS": "png"}, nil, nil, "must include jpeg"},
		{"qualities", map[string]string{"PHOTOPROC_WEBP_QUALITY": "0", "PHOTOPROC_AVIF_QUALITY": "high"}, nil, nil, `PHOTOPROC_AVIF_QUALITY: want a whole number, got "high"`},
		{"WebP quality", map[string]string{"PHOTOPROC_WEBP_QUALITY": "101"}, nil, nil, "imaging: WebP quality 101: must be 1..100"},
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
		if c.sizes != nil && !slices.Equal(cfg.Imaging.Sizes, c.sizes) {
			t.Errorf("%s: sizes %v, want %v", c.name, cfg.Imaging.Sizes, c.sizes)
		}
		if c.formats != nil && !slices.Equal(cfg.Imaging.Formats, c.formats) {
			t.Errorf("%s: formats %v, want %v", c.name, cfg.Imaging.Formats, c.formats)
		}
	}
	every := map[string]string{"PHOTOPROC_THUMBNAIL_FORMATS": "jpeg,webp,avif", "PHOTOPROC_WEBP_QUALITY": "80", "PHOTOPROC_AVIF_QUALITY": "60"}
	cfg, err := loadEnv(t, every)
	if imaging.EncoderSupport() == "JPEG image/jpeg, WebP none, AVIF none" {
		// A pure-Go build refuses them at start-up, by name.
		if err == nil || !strings.Contains(err.Error(), "webp: this build has no WebP encoder (built without cgo)") {
			t.Errorf("every format, pure Go: %v", err)
		}
	} else if err != nil || !slices.Equal(cfg.Imaging.Formats, []imaging.Format{imaging.JPEG, imaging.WebP, imaging.AVIF}) ||
		cfg.Imaging.WebPQuality != 80 || cfg.Imaging.AVIFQuality != 60 {
		t.Errorf("every format: %+v, %v", cfg.Imaging, err)
	}
}
