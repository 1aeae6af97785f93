package daemon

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/fetch"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/field"
	"github.com/photoproc/photoproc/pool"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
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

	Store      store.Config
	ThumbStore thumbstore.Config
	Queue      queue.Config
	Pool       pool.Config
	Imaging    imaging.Config
	Fetch      fetch.Config
	API        api.Config
}

// DefaultConfig is the configuration with nothing set: the defaults docs/configuration.md lists.
func DefaultConfig() Config {
	return Config{
		Role:       RoleAll,
		HTTPAddr:   ":3000",
		AdminAddr:  "127.0.0.1:9090",
		LogFormat:  "auto",
		LogLevel:   "info",
		Store:      store.DefaultConfig(),
		ThumbStore: thumbstore.DefaultConfig(),
		Queue:      queue.DefaultConfig(),
		Pool:       pool.DefaultConfig(),
		Imaging:    imaging.DefaultConfig(),
		Fetch:      fetch.DefaultConfig(),
		API:        api.DefaultConfig(),
	}
}

// variables is the configuration's one table: each environment variable, the serve flag that
// overrides it, the Config field it sets, its default as it would be written, and what it
// means. The daemon only maps text to fields here; each field's range is checked by the
// Validate of the package that owns it. docs/configuration.md is generated from this table
// (make config-docs), and a test holds every default to DefaultConfig.
func variables() []variable {
	return []variable{
		{env: "PG_CONNECTION_URI", flag: "pg-uri", field: "Store.URI", secret: true,
			def:   "postgres://postgres@127.0.0.1:5432/photoproc?sslmode=disable",
			usage: "Postgres connection URI (the Python service's name)"},
		{env: "AMQP_URI", flag: "amqp-uri", field: "Queue.URI", secret: true,
			def:   "amqp://guest:guest@127.0.0.1:5672/",
			usage: "RabbitMQ URI (the Python service's name)"},
		{env: "PHOTOPROC_ROLE", flag: "role", field: "Role", def: RoleAll,
			usage: "what this process runs: all, api (the public API and admin listener) or worker (the workers and admin listener), so API and workers can scale apart"},
		{env: "PHOTOPROC_HTTP_ADDR", flag: "http-addr", field: "HTTPAddr", def: ":3000",
			usage: "public API listener, host:port"},
		{env: "PHOTOPROC_ADMIN_ADDR", flag: "admin-addr", field: "AdminAddr", def: "127.0.0.1:9090",
			usage: "admin listener (/metrics, the admin page and its actions), host:port"},
		{env: "PHOTOPROC_ADMIN_TOKEN", flag: "admin-token", field: "AdminToken", secret: true,
			usage: "bearer token admin actions (POST) require; without it actions work only on a loopback listener, from requests no proxy relayed; read-only pages stay open"},
		{env: "PHOTOPROC_ADMIN_HOSTS", flag: "admin-hosts", field: "AdminHosts",
			usage: "comma-separated names the admin listener answers to besides IP addresses, localhost and the name in PHOTOPROC_ADMIN_ADDR (the name Prometheus scrapes it by, a reverse proxy's); others get 403 (DNS rebinding)"},
		{env: "PHOTOPROC_THUMBS_DIR", flag: "thumbs-dir", field: "ThumbStore.Dir", def: "./thumbs",
			usage: "the directory thumbnails are written to when PHOTOPROC_STORAGE is empty (the container image sets /tpp-app-thumbs)"},
		{env: "PHOTOPROC_STORAGE", flag: "storage", field: "ThumbStore.Location",
			defNote: "empty: the directory PHOTOPROC_THUMBS_DIR",
			usage:   "where thumbnails are stored: a directory, or s3://BUCKET[/PREFIX] for an S3-compatible bucket (endpoint, region and credentials from the standard AWS_* settings, below)"},
		{env: "PHOTOPROC_S3_PATH_STYLE", flag: "s3-path-style", field: "ThumbStore.S3.PathStyle",
			defNote: "true when an endpoint URL is set, else false",
			usage:   "path-style bucket addressing (host/BUCKET/KEY), which most S3-compatible servers want; a bucket name with a dot always goes by path over HTTPS"},
		{env: "PHOTOPROC_PUBLIC_BASE_URL", flag: "public-base-url", field: "ThumbStore.PublicBaseURL",
			defNote: "empty: the storage URL",
			usage:   "when set, photo_thumbnails.url is this http(s) base + the thumbnail's key (a CDN or public bucket)"},
		{env: "PHOTOPROC_THUMBNAIL_DELIVERY", flag: "thumbnail-delivery", field: "API.ThumbnailDelivery", def: api.DeliveryStream,
			usage: "stream: GET /photos/{uuid}/thumbnail sends the thumbnail; presigned: it redirects (302) to a 5-minute presigned link (S3 only; refused at start-up with a directory)"},
		{env: "PHOTOPROC_QUEUE", flag: "queue", field: "Queue.Queue", def: "photo-processor",
			usage: "RabbitMQ queue name (also <queue>.dead and <queue>.retry.<delay>)"},
		{env: "PHOTOPROC_QUEUE_TYPE", flag: "queue-type", field: "Queue.QueueType", def: queue.Classic,
			usage: "classic (durable) or quorum (replicated, with a delivery limit)"},
		{env: "PHOTOPROC_WORKERS", flag: "workers", field: "Pool.Workers", defNote: "number of CPUs",
			usage: "thumbnails made at once; as many photos download ahead and as many are written behind, so the broker prefetch is three times this"},
		{env: "PHOTOPROC_ALLOW_PRIVATE_URLS", flag: "allow-private-urls", field: "Fetch.AllowPrivate", def: "false",
			usage: "allow photo URLs that resolve to loopback, private or link-local addresses (development, trusted networks)"},
		{env: "PHOTOPROC_ALLOWED_HOSTS", flag: "allowed-hosts", field: "Fetch.AllowedHosts",
			defNote: "empty: any public host",
			usage:   "comma-separated hosts photos may come from (*.example.com for its subdomains)"},
		{env: "PHOTOPROC_MAX_ATTEMPTS", flag: "max-attempts", field: "Pool.Retry.MaxAttempts", def: "5",
			usage: "attempts per photo before it is failed and dead-lettered; an attempt cut short by its worker dying counts, one cut short by our own outage or a stop does not"},
		{env: "PHOTOPROC_RETRY_BACKOFF", flag: "retry-backoff", field: "Pool.Retry.Backoff", def: "1s",
			usage: "first retry's delay; it doubles each attempt (with jitter), capped at 5m"},
		{env: "PHOTOPROC_SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", field: "Pool.ShutdownTimeout", def: "25s",
			usage: "how long a stop waits for photos in flight before handing them back; the whole stop takes at most this + 25s"},
		{env: "PHOTOPROC_DOWNLOAD_TIMEOUT", flag: "download-timeout", field: "Fetch.Timeout", def: "30s",
			usage: "the whole download of one photo"},
		{env: "PHOTOPROC_LEASE", flag: "lease", field: "Pool.Lease", def: "5m",
			usage: "how long a claim on a photo lasts unless its worker, alive, extends it: how soon a dead worker's photo is taken over"},
		{env: "PHOTOPROC_MAX_DOWNLOAD_BYTES", flag: "max-download-bytes", field: "Fetch.MaxBytes", def: "50MB", bytes: true,
			usage: "largest photo, enforced while reading (KB, MB and GB are powers of 1024)"},
		{env: "PHOTOPROC_MAX_PIXELS", flag: "max-pixels", field: "Imaging.MaxPixels", def: "50000000",
			usage: "largest decoded photo, width × height, checked before decoding"},
		{env: "PHOTOPROC_THUMBNAIL_SIZE", flag: "thumbnail-size", field: "Imaging.Size", def: "320",
			usage: "the box a thumbnail fits in, pixels"},
		{env: "PHOTOPROC_THUMBNAIL_SIZES", flag: "thumbnail-sizes", field: "Imaging.Sizes",
			defNote: "the one box of PHOTOPROC_THUMBNAIL_SIZE",
			usage:   "comma-separated boxes thumbnails are made for, pixels (320,640,1280), all from one decode; the first is the primary thumbnail"},
		{env: "PHOTOPROC_THUMBNAIL_FORMATS", flag: "thumbnail-formats", field: "Imaging.Formats", def: "jpeg",
			usage: "comma-separated formats every size is made in: jpeg (always among them), webp, avif"},
		{env: "PHOTOPROC_JPEG_QUALITY", flag: "jpeg-quality", field: "Imaging.Quality", def: "90",
			usage: "thumbnail JPEG quality"},
		{env: "PHOTOPROC_WEBP_QUALITY", flag: "webp-quality", field: "Imaging.WebPQuality", def: "90",
			usage: "thumbnail WebP quality; the default looks like JPEG at 90 (docs/thumbnail-formats.md)"},
		{env: "PHOTOPROC_AVIF_QUALITY", flag: "avif-quality", field: "Imaging.AVIFQuality", def: "84",
			usage: "thumbnail AVIF quality; the default looks like JPEG at 90 (docs/thumbnail-formats.md)"},
		{env: "PHOTOPROC_LOG_FORMAT", flag: "log-format", field: "LogFormat", def: "auto",
			usage: "auto (text on a terminal, JSON otherwise), text or json"},
		{env: "PHOTOPROC_LOG_LEVEL", flag: "log-level", field: "LogLevel", def: "info",
			usage: "debug, info, warn or error"},
	}
}

// LoadConfig reads the environment through getenv, then the flags in args (which override
// it; fs gets one flag per variable), and validates the result. Every problem is reported at
// once, one line each, naming the variable or flag and the value given:
// "PHOTOPROC_THUMBNAIL_SIZE=0: must be 1..16384 pixels". Arguments after the flags are left
// in fs.Args().
func LoadConfig(args []string, getenv func(string) string, fs *flag.FlagSet) (Config, error) {
	cfg := DefaultConfig()
	given := map[string]source{} // by Config field, what set it
	var problems []problem
	for i, v := range variables() {
		if s := getenv(v.env); s != "" {
			if err := v.set(&cfg, s); err != nil {
				problems = append(problems, problem{i, source{v.env, s, v.secret}.line(err.Error())})
			} else {
				given[v.field] = source{v.env, s, v.secret}
			}
		}
		fs.Func(v.flag, v.usage+" ("+v.env+", default "+v.defaultText()+")", func(s string) error {
			if err := v.set(&cfg, s); err != nil {
				return err
			}
			given[v.field] = source{"--" + v.flag, s, v.secret}
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.ThumbStore.Backend() == thumbstore.BackendS3 {
		if name := awsSettings(&cfg.ThumbStore.S3, getenv); name != "" {
			given["ThumbStore.S3.Endpoint"] = source{name, cfg.ThumbStore.S3.Endpoint, false}
		}
	}
	if n := cfg.Pool.Prefetch(); n > 0 { // else the worker count is wrong, and reported as such
		cfg.Queue.Prefetch = n
	}
	if cfg.Pool.Retry.Validate() == nil { // else the policy's problem is reported, not its queues'
		cfg.Queue.RetryDelays = cfg.Pool.Retry.Delays()
	}
	cfg.Pool.SweepInterval = sweepInterval(cfg.Pool.Lease, cfg.Pool.SweepInterval)
	cfg.Queue.ConnectionName = "photoproc " + cfg.Role
	fields, others := field.Split(cfg.Validate())
	for _, fe := range fields {
		problems = append(problems, problem{tableIndex(fe.Field), nameVariable(fe, given)})
	}
	// In the table's order, as the reference lists them, whichever package found them.
	slices.SortStableFunc(problems, func(a, b problem) int { return cmp.Compare(a.at, b.at) })
	errs := make([]error, 0, len(problems)+len(others))
	for _, p := range problems {
		errs = append(errs, p.err)
	}
	return cfg, errors.Join(append(errs, others...)...)
}

// problem is one line of a configuration's problems, and the place in variables() of the
// setting it is about (past the end for a field no variable sets).
type problem struct {
	at  int
	err error
}

func tableIndex(path string) int {
	i := slices.IndexFunc(variables(), func(v variable) bool { return v.field == path })
	if i < 0 {
		return math.MaxInt
	}
	return i
}

// source is where a setting's value came from: a variable or a flag, and the text given.
type source struct {
	name, value string
	secret      bool
}

// line is one line about this setting: NAME=value: problem (no value when it is secret).
func (s source) line(problem string) error {
	if s.secret {
		return fmt.Errorf("%s: %s", s.name, problem)
	}
	return fmt.Errorf("%s=%s: %s", s.name, s.value, problem)
}

// nameVariable words a problem Validate found with a field under the name of what set it: the
// variable or flag given, else the field's variable with the value it had by default, else
// (a field no variable sets) the component and the package's own words.
func nameVariable(fe *field.Error, given map[string]source) error {
	if s, ok := given[fe.Field]; ok {
		return s.line(fe.Problem)
	}
	for _, v := range variables() {
		if v.field == fe.Field {
			return source{v.env, plain(fe.Value), v.secret}.line(fe.Problem)
		}
	}
	component, _, _ := strings.Cut(fe.Field, ".")
	return fmt.Errorf("%s: %w", strings.ToLower(component), fe)
}

// plain writes a value as it would be given to a variable.
func plain(v any) string {
	if d, ok := v.(time.Duration); ok {
		return field.ShortDuration(d)
	}
	return fmt.Sprint(v)
}

// awsSettings reads the standard AWS settings of the S3 endpoint and region, for a bucket
// (other AWS tools' settings never stop a local store's start), and returns the variable the
// endpoint came from; the credentials are left to the AWS chain (thumbstore.S3Config), which
// reads its own variables and files.
func awsSettings(c *thumbstore.S3Config, getenv func(string) string) string {
	c.Region = cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	for _, name := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if c.Endpoint = getenv(name); c.Endpoint != "" {
			return name
		}
	}
	return ""
}

// sweepInterval looks for expired leases at least twice per lease, so that a photo abandoned
// with no message behind it is requeued within about one and a half leases however short
// PHOTOPROC_LEASE is; never more often than once a second.
func sweepInterval(lease, interval time.Duration) time.Duration {
	return max(min(interval, lease/2), time.Second)
}

// Validate reports every setting of every component that is out of range, each problem with
// a field a *field.Error naming it by its path in Config ("Imaging.Size").
func (c Config) Validate() error {
	var errs []error
	for _, v := range []struct {
		name string // the field of Config
		err  error
	}{
		{"", c.validateOwn()},
		{"Store", c.Store.Validate()},
		{"ThumbStore", c.ThumbStore.Validate()},
		{"Queue", c.Queue.Validate()},
		{"Pool", c.Pool.Validate()},
		{"Imaging", c.Imaging.Validate()},
		{"Fetch", c.Fetch.Validate()},
		{"API", c.API.Validate()},
	} {
		err := v.err
		if v.name != "" {
			err = field.Nest(v.name, err)
		}
		fields, others := field.Split(err)
		for _, fe := range fields {
			errs = append(errs, fe)
		}
		for _, err := range others { // not about one field: in the package's own words
			errs = append(errs, fmt.Errorf("%s: %w", strings.ToLower(v.name), err))
		}
	}
	if c.API.ThumbnailDelivery == api.DeliveryPresigned && c.ThumbStore.Backend() == thumbstore.BackendLocal {
		errs = append(errs, field.Invalid("API.ThumbnailDelivery", "thumbnail delivery", c.API.ThumbnailDelivery,
			"needs thumbnails in S3 (PHOTOPROC_STORAGE=s3://BUCKET); a local directory can only be streamed"))
	}
	return errors.Join(errs...)
}

// validateOwn checks the daemon's own settings.
func (c Config) validateOwn() error {
	errs := []error{
		field.OneOf("Role", "role", c.Role, RoleAll, RoleAPI, RoleWorker),
		hostPort("HTTPAddr", "public listener address", c.HTTPAddr),
		hostPort("AdminAddr", "admin listener address", c.AdminAddr),
		field.OneOf("LogFormat", "log format", c.LogFormat, "auto", "text", "json"),
		field.OneOf("LogLevel", "log level", c.LogLevel, "debug", "info", "warn", "error"),
	}
	for _, h := range c.AdminHosts {
		if h == "" || strings.ContainsAny(h, ":/ ") {
			errs = append(errs, field.Invalid("AdminHosts", "admin host", h, "must be a host name, without port or scheme"))
		}
	}
	return errors.Join(errs...)
}

func hostPort(name, label, v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return field.Invalid(name, label, v, "must be host:port, such as :3000 or 127.0.0.1:9090")
	}
	return nil
}

// ReadyURL is the admin listener's readiness URL as seen from this machine, for `photoproc
// healthcheck`: PHOTOPROC_ADMIN_ADDR through getenv (else its default), with a listener on
// every address asked on loopback.
func ReadyURL(getenv func(string) string) (string, error) {
	addr := cmp.Or(getenv("PHOTOPROC_ADMIN_ADDR"), DefaultConfig().AdminAddr)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("PHOTOPROC_ADMIN_ADDR=%s: must be host:port", addr)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.IsUnspecified() && ip.To4() != nil):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
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
