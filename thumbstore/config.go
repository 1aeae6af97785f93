package thumbstore

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/photoproc/photoproc/internal/field"
)

// Backends, as Config.Backend names them.
const (
	BackendLocal = "local"
	BackendS3    = "s3"
)

// Config says where thumbnails are stored.
type Config struct {
	// Location is where thumbnails are stored (PHOTOPROC_STORAGE): a local directory, or
	// s3://BUCKET[/PREFIX] for an S3-compatible bucket; empty means the directory Dir.
	Location string
	// Dir is the local directory used when Location is empty (PHOTOPROC_THUMBS_DIR); default
	// ./thumbs.
	Dir string
	// PublicBaseURL, when set, is what photo_thumbnails.url starts with instead of the storage
	// URL: a CDN or a public bucket serving the same keys (PHOTOPROC_PUBLIC_BASE_URL); default
	// empty.
	PublicBaseURL string
	// S3 configures the S3 client when Location is an s3:// URL.
	S3 S3Config
	// Timeout bounds each store operation but reading a thumbnail's bytes (which the reader's
	// own context bounds): an upload that has not finished by then is abandoned, and S3 keeps
	// nothing of it. Default 30s.
	Timeout time.Duration
}

// S3Config is how to reach the bucket. Endpoint and Region come from the standard AWS
// settings, read by the daemon; credentials, when not given here, come from the standard AWS
// chain (see ARCHITECTURE.md).
type S3Config struct {
	// Endpoint is the S3 API's base URL, http(s)://host[:port] (AWS_ENDPOINT_URL_S3, else
	// AWS_ENDPOINT_URL); default empty: Amazon S3.
	Endpoint string
	// Region is the bucket's region (AWS_REGION, else AWS_DEFAULT_REGION); default empty:
	// us-east-1 on an endpoint of your own, asked of Amazon S3 otherwise.
	Region string
	// PathStyle addresses the bucket as host/BUCKET/KEY instead of BUCKET.host/KEY
	// (PHOTOPROC_S3_PATH_STYLE); nil means true when Endpoint is set, else false.
	PathStyle *bool
	// AccessKeyID, SecretAccessKey and SessionToken are static credentials; empty means the
	// AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared config and credentials
	// files (AWS_PROFILE, SSO, credential_process), web identity (AWS_WEB_IDENTITY_TOKEN_FILE
	// with AWS_ROLE_ARN), container credentials, then the instance role.
	AccessKeyID, SecretAccessKey, SessionToken string
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{Dir: "./thumbs", Timeout: 30 * time.Second}
}

// location is a parsed Config.Location.
type location struct {
	backend string
	dir     string // local
	bucket  string // s3
	prefix  string // s3: "" or "a/b/" (always ending in a slash)
}

func (c Config) location() (location, error) {
	loc := c.Location
	if loc == "" {
		if c.Dir == "" {
			return location{}, errors.New("thumbnails directory must be set")
		}
		return location{backend: BackendLocal, dir: c.Dir}, nil
	}
	rest, ok := strings.CutPrefix(loc, "s3://")
	if !ok {
		if strings.Contains(loc, "://") {
			return location{}, fmt.Errorf("want a directory or s3://BUCKET[/PREFIX], got %q", loc)
		}
		return location{backend: BackendLocal, dir: loc}, nil
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !bucketName.MatchString(bucket) || strings.Contains(bucket, "..") {
		return location{}, fmt.Errorf("%q is not a valid bucket name (3-63 lowercase letters, digits, dots and hyphens)", bucket)
	}
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		if clean := path.Clean(prefix); clean != prefix || strings.HasPrefix(clean, "..") {
			return location{}, fmt.Errorf("key prefix %q must be a plain path such as thumbs or a/b", prefix)
		}
		prefix += "/"
	}
	return location{backend: BackendS3, bucket: bucket, prefix: prefix}, nil
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// Backend is BackendLocal or BackendS3, by Location; "" when Location is not valid.
func (c Config) Backend() string {
	loc, _ := c.location()
	return loc.backend
}

// pathStyle resolves S3Config.PathStyle's default.
func (c S3Config) pathStyle() bool {
	if c.PathStyle != nil {
		return *c.PathStyle
	}
	return c.Endpoint != ""
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	loc, err := c.location()
	if err != nil {
		name := "Location"
		if c.Location == "" {
			name = "Dir"
		}
		errs = append(errs, &field.Error{Field: name, Label: "storage", Problem: err.Error()})
	}
	errs = append(errs, ValidatePublicBaseURL(c.PublicBaseURL))
	if loc.backend == BackendS3 {
		errs = append(errs, ValidateEndpoint(c.S3.Endpoint))
	}
	if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
		errs = append(errs, errors.New("S3 access key id and secret access key must be set together"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout must be positive, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// ValidateLocation reports what is wrong with a Location, for a message naming its setting.
// Empty is valid: it means Dir.
func ValidateLocation(loc string) error {
	if loc == "" {
		return nil
	}
	_, err := Config{Location: loc}.location()
	return err
}

// ValidatePublicBaseURL reports what is wrong with a PublicBaseURL (empty is valid).
func ValidatePublicBaseURL(base string) error {
	if base == "" {
		return nil
	}
	// A key is appended to it as a path: a query or a fragment would swallow the key, and
	// credentials would be handed to every client the URL is given to.
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsAny(base, "?#") || u.User != nil {
		return field.Invalid("PublicBaseURL", "public base URL", base, "must be an http(s) URL with a host, and no query, fragment or credentials")
	}
	return nil
}

// publicURL is base + key, the key escaped as a URL path (a prefix may hold any character).
func publicURL(base, key string) string {
	return strings.TrimSuffix(base, "/") + "/" + (&url.URL{Path: key}).EscapedPath()
}

// publicKey undoes publicURL; false for a URL that is not base + a key.
func publicKey(base, recorded string) (string, bool) {
	k, ok := strings.CutPrefix(recorded, strings.TrimSuffix(base, "/")+"/")
	if !ok || k == "" {
		return "", false
	}
	k, err := url.PathUnescape(k)
	return k, err == nil
}

// ValidateEndpoint reports what is wrong with an S3Config.Endpoint (empty is valid).
func ValidateEndpoint(endpoint string) error {
	if _, _, err := (S3Config{Endpoint: endpoint}).endpoint(); err != nil {
		return field.Invalid("S3.Endpoint", "S3 endpoint", endpoint, "must be http(s)://host[:port]")
	}
	return nil
}

// endpoint splits Endpoint into the host[:port] the client dials and whether it uses TLS.
func (c S3Config) endpoint() (host string, secure bool, err error) {
	if c.Endpoint == "" {
		return "s3.amazonaws.com", true, nil
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("S3 endpoint must be http(s)://host[:port], got %q", c.Endpoint)
	}
	return u.Host, u.Scheme == "https", nil
}
