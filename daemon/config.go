package daemon

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/fetch"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/pool"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/storage"
	"github.com/photoproc/photoproc/store"
)

// Roles a serve process may take.
const (
	RoleAll    = "all"
	RoleAPI    = "api"
	RoleWorker = "worker"
)

// Config is the whole daemon's configuration.
type Config struct {
	Role       string   // all, api or worker
	HTTPAddr   string   // public API listener
	AdminAddr  string   // metrics, admin page and actions
	AdminToken string   // bearer token for admin actions; empty = none (loopback only)
	AdminHosts []string // names the admin listener answers to, besides IP addresses and localhost
	LogFormat  string   // auto, text or json
	LogLevel   string   // debug, info, warn or error

	Store   store.Config
	Storage storage.Config
	Queue   queue.Config
	Pool    pool.Config
	Imaging imaging.Config
	Fetch   fetch.Config
	API     api.Config
}

// DefaultConfig is the configuration with nothing set: the defaults README.md lists.
func DefaultConfig() Config {
	return Config{
		Role:      RoleAll,
		HTTPAddr:  ":3000",
		AdminAddr: "127.0.0.1:9090",
		LogFormat: "auto",
		LogLevel:  "info",
		Store:     store.DefaultConfig(),
		Storage:   storage.DefaultConfig(),
		Queue:     queue.DefaultConfig(),
		Pool:      pool.DefaultConfig(),
		Imaging:   imaging.DefaultConfig(),
		Fetch:     fetch.DefaultConfig(),
		API:       api.DefaultConfig(),
	}
}

// setting is one configuration knob: an environment variable and the serve flag that
// overrides it. set parses and range-checks a value, so a bad one is reported by name.
type setting struct {
	env, flag, usage string
	set              func(c *Config, v string) error
}

func settings() []setting {
	return []setting{
		{"PG_CONNECTION_URI", "pg-uri", "Postgres connection URI", func(c *Config, v string) error {
			c.Store.URI = v
			return nil
		}},
		{"AMQP_URI", "amqp-uri", "RabbitMQ URI", func(c *Config, v string) error {
			c.Queue.URI = v
			return nil
		}},
		{"PHOTOPROC_ROLE", "role", "what this process runs: all, api or worker", func(c *Config, v string) error {
			return oneOf(&c.Role, v, RoleAll, RoleAPI, RoleWorker)
		}},
		{"PHOTOPROC_HTTP_ADDR", "http-addr", "public API listener, host:port", addr(func(c *Config) *string { return &c.HTTPAddr })},
		{"PHOTOPROC_ADMIN_ADDR", "admin-addr", "admin listener (metrics, admin page), host:port", addr(func(c *Config) *string { return &c.AdminAddr })},
		{"PHOTOPROC_ADMIN_TOKEN", "admin-token", "bearer token required by admin actions", func(c *Config, v string) error {
			c.AdminToken = v
			return nil
		}},
		{"PHOTOPROC_ADMIN_HOSTS", "admin-hosts", "comma-separated names the admin listener answers to besides its IP addresses and localhost (DNS rebinding guard)", func(c *Config, v string) error {
			c.AdminHosts = nil
			for h := range strings.SplitSeq(v, ",") {
				if h = strings.TrimSpace(h); h != "" {
					if strings.ContainsAny(h, ":/ ") {
						return fmt.Errorf("want host names without port or scheme, got %q", h)
					}
					c.AdminHosts = append(c.AdminHosts, h)
				}
			}
			return nil
		}},
		{"PHOTOPROC_THUMBS_DIR", "thumbs-dir", "where thumbnails are written when PHOTOPROC_STORAGE is empty", func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.Storage.Dir = v
			return nil
		}},
		{"PHOTOPROC_STORAGE", "storage", "where thumbnails are stored: a directory, or s3://BUCKET[/PREFIX] (endpoint, region and credentials from the AWS_* settings); empty = PHOTOPROC_THUMBS_DIR", func(c *Config, v string) error {
			c.Storage.Location = v
			return storage.ValidateLocation(v)
		}},
		{"PHOTOPROC_S3_PATH_STYLE", "s3-path-style", "path-style bucket addressing (default true when AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL is set)", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			c.Storage.S3.PathStyle = &b
			return nil
		}},
		{"PHOTOPROC_PUBLIC_BASE_URL", "public-base-url", "base URL recorded before each thumbnail's key (a CDN or public bucket); empty = the storage URL", func(c *Config, v string) error {
			c.Storage.PublicBaseURL = v
			return storage.ValidatePublicBaseURL(v)
		}},
		{"PHOTOPROC_THUMBNAIL_DELIVERY", "thumbnail-delivery", "stream (the API sends the thumbnail) or presigned (a redirect to a short-lived link; S3 only)", func(c *Config, v string) error {
			return oneOf(&c.API.ThumbnailDelivery, v, api.DeliveryStream, api.DeliveryPresigned)
		}},
		{"PHOTOPROC_QUEUE", "queue", "RabbitMQ queue name", func(c *Config, v string) error {
			if v == "" || len(v) > 200 {
				return errors.New("must be 1 to 200 characters")
			}
			c.Queue.Queue = v
			return nil
		}},
		{"PHOTOPROC_QUEUE_TYPE", "queue-type", "classic or quorum", func(c *Config, v string) error {
			return oneOf(&c.Queue.QueueType, v, "classic", "quorum")
		}},
		{"PHOTOPROC_WORKERS", "workers", "photos processed at once", func(c *Config, v string) error {
			return intIn(&c.Pool.Workers, v, 1, 1024)
		}},
		{"PHOTOPROC_ALLOW_PRIVATE_URLS", "allow-private-urls", "allow photo URLs on loopback/private/link-local addresses", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			c.Fetch.AllowPrivate = b
			return nil
		}},
		{"PHOTOPROC_ALLOWED_HOSTS", "allowed-hosts", "comma-separated host names photos may come from (\"*.example.com\" for subdomains); empty = any public host", func(c *Config, v string) error {
			c.Fetch.AllowedHosts = nil
			for h := range strings.SplitSeq(v, ",") {
				if h = strings.TrimSpace(h); h != "" {
					c.Fetch.AllowedHosts = append(c.Fetch.AllowedHosts, h)
				}
			}
			return nil
		}},
		{"PHOTOPROC_MAX_ATTEMPTS", "max-attempts", "attempts per photo for transient failures", func(c *Config, v string) error {
			return intIn(&c.Pool.MaxAttempts, v, 1, 20)
		}},
		{"PHOTOPROC_RETRY_BACKOFF", "retry-backoff", "delay before the first retry (grows exponentially)", duration(func(c *Config) *time.Duration { return &c.Queue.RetryBackoff }, time.Millisecond, time.Hour)},
		{"PHOTOPROC_SHUTDOWN_TIMEOUT", "shutdown-timeout", "how long a stop waits for in-flight photos", duration(func(c *Config) *time.Duration { return &c.Pool.ShutdownTimeout }, 0, time.Hour)},
		{"PHOTOPROC_DOWNLOAD_TIMEOUT", "download-timeout", "whole download of one photo", duration(func(c *Config) *time.Duration { return &c.Fetch.Timeout }, time.Millisecond, time.Hour)},
		{"PHOTOPROC_LEASE", "lease", "how long a worker's claim on a photo lasts before another may take it over", duration(func(c *Config) *time.Duration { return &c.Pool.Lease }, time.Second, 24*time.Hour)},
		{"PHOTOPROC_MAX_DOWNLOAD_BYTES", "max-download-bytes", "largest photo accepted (e.g. 50MB)", func(c *Config, v string) error {
			n, err := fetch.ParseBytes(v)
			if err != nil {
				return err
			}
			if n < 1 {
				return fmt.Errorf("must be positive, got %q", v)
			}
			c.Fetch.MaxBytes = n
			return nil
		}},
		{"PHOTOPROC_MAX_PIXELS", "max-pixels", "largest decoded photo, width x height", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive whole number, got %q", v)
			}
			c.Imaging.MaxPixels = n
			return nil
		}},
		{"PHOTOPROC_THUMBNAIL_SIZE", "thumbnail-size", "box a thumbnail must fit in, pixels (the one box when PHOTOPROC_THUMBNAIL_SIZES is not set)", func(c *Config, v string) error {
			c.Imaging.Sizes = []int{0}
			return intIn(&c.Imaging.Sizes[0], v, 1, 4096)
		}},
		// After PHOTOPROC_THUMBNAIL_SIZE, which it overrides.
		{"PHOTOPROC_THUMBNAIL_SIZES", "thumbnail-sizes", "comma-separated boxes thumbnails are made for, pixels (320,640,1280); the first is the primary", func(c *Config, v string) error {
			c.Imaging.Sizes = nil
			for s := range strings.SplitSeq(v, ",") {
				var n int
				if err := whole(&n, strings.TrimSpace(s)); err != nil {
					return fmt.Errorf("want comma-separated whole numbers such as 320,640,1280, got %q", v)
				}
				c.Imaging.Sizes = append(c.Imaging.Sizes, n)
			}
			return nil
		}},
		{"PHOTOPROC_THUMBNAIL_FORMATS", "thumbnail-formats", "comma-separated formats every size is made in: jpeg, webp, avif", func(c *Config, v string) error {
			c.Imaging.Formats = nil
			for f := range strings.SplitSeq(v, ",") {
				c.Imaging.Formats = append(c.Imaging.Formats, imaging.Format(strings.ToLower(strings.TrimSpace(f))))
			}
			return nil
		}},
		{"PHOTOPROC_JPEG_QUALITY", "jpeg-quality", "thumbnail JPEG quality, 1-100", func(c *Config, v string) error {
			return intIn(&c.Imaging.Quality, v, 1, 100)
		}},
		// imaging.Config.Validate checks the ranges of these and the sizes.
		{"PHOTOPROC_WEBP_QUALITY", "webp-quality", "thumbnail WebP quality, 1-100", func(c *Config, v string) error {
			return whole(&c.Imaging.WebPQuality, v)
		}},
		{"PHOTOPROC_AVIF_QUALITY", "avif-quality", "thumbnail AVIF quality, 1-100", func(c *Config, v string) error {
			return whole(&c.Imaging.AVIFQuality, v)
		}},
		{"PHOTOPROC_LOG_FORMAT", "log-format", "auto (text on a terminal, JSON otherwise), text or json", func(c *Config, v string) error {
			return oneOf(&c.LogFormat, v, "auto", "text", "json")
		}},
		{"PHOTOPROC_LOG_LEVEL", "log-level", "debug, info, warn or error", func(c *Config, v string) error {
			return oneOf(&c.LogLevel, v, "debug", "info", "warn", "error")
		}},
	}
}

// LoadConfig reads the environment through getenv, then the flags in args (which override
// it; fs gets one flag per variable), and validates the result. Every problem is reported at
// once, each naming its variable. Arguments after the flags are left in fs.Args().
func LoadConfig(args []string, getenv func(string) string, fs *flag.FlagSet) (Config, error) {
	cfg := DefaultConfig()
	var errs []error
	for _, s := range settings() {
		if v := getenv(s.env); v != "" {
			if err := s.set(&cfg, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
			}
		}
		fs.Func(s.flag, s.usage+" ("+s.env+")", func(v string) error { return s.set(&cfg, v) })
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}
	if cfg.Storage.Backend() == storage.BackendS3 {
		if err := awsSettings(&cfg.Storage.S3, getenv); err != nil {
			return cfg, err
		}
	}
	cfg.Queue.Prefetch = cfg.Pool.Prefetch()
	cfg.Pool.SweepInterval = sweepInterval(cfg.Pool.Lease, cfg.Pool.SweepInterval)
	cfg.Queue.ConnectionName = "photoproc " + cfg.Role
	return cfg, cfg.Validate()
}

// awsSettings reads the standard AWS settings of the S3 endpoint and region, for a bucket
// (other AWS tools' settings never stop a local store's start); the credentials are left to
// the AWS chain (storage.S3Config), which reads its own variables and files.
func awsSettings(c *storage.S3Config, getenv func(string) string) error {
	name := "AWS_ENDPOINT_URL_S3"
	if c.Endpoint = getenv(name); c.Endpoint == "" {
		name, c.Endpoint = "AWS_ENDPOINT_URL", getenv("AWS_ENDPOINT_URL")
	}
	c.Region = cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	if err := storage.ValidateEndpoint(c.Endpoint); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// sweepInterval looks for expired leases at least twice per lease, so that a photo abandoned
// with no message behind it is requeued within about one and a half leases however short
// PHOTOPROC_LEASE is; never more often than once a second.
func sweepInterval(lease, interval time.Duration) time.Duration {
	return max(min(interval, lease/2), time.Second)
}

// Validate reports every setting of every component that is out of range.
func (c Config) Validate() error {
	var errs []error
	for _, v := range []struct {
		name string
		err  error
	}{
		{"store", c.Store.Validate()},
		{"storage", c.Storage.Validate()},
		{"queue", c.Queue.Validate()},
		{"pool", c.Pool.Validate()},
		{"imaging", c.Imaging.Validate()},
		{"fetch", c.Fetch.Validate()},
		{"api", c.API.Validate()},
	} {
		if v.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, v.err))
		}
	}
	if c.API.ThumbnailDelivery == api.DeliveryPresigned && c.Storage.Backend() == storage.BackendLocal {
		errs = append(errs, errors.New("PHOTOPROC_THUMBNAIL_DELIVERY: presigned needs thumbnails in S3 (PHOTOPROC_STORAGE=s3://BUCKET); a local directory can only be streamed"))
	}
	return errors.Join(errs...)
}

func oneOf(dst *string, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			*dst = v
			return nil
		}
	}
	return fmt.Errorf("want one of %s, got %q", strings.Join(allowed, ", "), v)
}

func intIn(dst *int, v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("want a whole number from %d to %d, got %q", lo, hi, v)
	}
	*dst = n
	return nil
}

func whole(dst *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want a whole number, got %q", v)
	}
	*dst = n
	return nil
}

func duration(field func(*Config) *time.Duration, lo, hi time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("want a duration from %s to %s such as 500ms or 5s, got %q", lo, hi, v)
		}
		*field(c) = d
		return nil
	}
}

func addr(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("want host:port such as :3000 or 127.0.0.1:9090, got %q", v)
		}
		*field(c) = v
		return nil
	}
}

// loopback reports whether a listen address only accepts connections from this machine.
func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
