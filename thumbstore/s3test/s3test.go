// Package s3test runs a real S3-compatible server for tests: Versity S3 Gateway (versitygw,
// Apache-2.0) serving buckets from a temporary directory on a loopback port. Each test makes
// its own bucket with Bucket, removed when it ends; a test that stops and restarts the store
// starts a server of its own with Start. Both skip the test under -short
// (testkit.NeedServices).
//
// The versitygw binary is taken from PHOTOPROC_TEST_VERSITYGW, the cache directory, PATH or
// $(go env GOPATH)/bin, and installed with `go install` into the cache directory when none is
// there (about 2.5 minutes on two cores), so `make test` works on a fresh clone.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/thumbstore"
)

// Version is the versitygw release the tests run.
const Version = "v1.8.0"

// EnvBinary names a variable holding the path of a versitygw binary to use.
const EnvBinary = "PHOTOPROC_TEST_VERSITYGW"

// Region is the region the server answers for.
const Region = "us-east-1"

const module = "github.com/versity/versitygw/cmd/versitygw"

// Server is one running versitygw.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint             string
	AccessKey, SecretKey string

	addr     string
	dir      string
	readOnly bool // refusing every write (AccessDenied), reads and HeadBucket still served

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// Start runs a server of the test's own, stopped when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	testkit.NeedServices(tb, "an S3 server (versitygw)")
	s, err := start(tb.TempDir())
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	tb.Cleanup(s.kill)
	return s
}

var shared struct {
	once sync.Once
	s    *Server
	dir  string
	err  error
}

// Shared is one server for every test of this test binary, started on first use. TestMain
// stops it with StopShared.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	testkit.NeedServices(tb, "an S3 server (versitygw)")
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "photoproc-s3test-"); shared.err != nil {
			return
		}
		shared.s, shared.err = start(shared.dir)
	})
	if shared.err != nil {
		tb.Fatalf("s3test: %v", shared.err)
	}
	return shared.s
}

// StopShared stops the server Shared started, if any, and removes its files.
func StopShared() {
	if shared.s != nil {
		shared.s.kill()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
}

func start(dir string) (*Server, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	s := &Server{AccessKey: "photoproc-test", SecretKey: randomHex(16), dir: filepath.Join(dir, "buckets")}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	// A port chosen here may be taken by someone else before the server binds it: try again.
	for range 5 {
		if s.addr, err = freePort(); err != nil {
			return nil, err
		}
		s.Endpoint = "http://" + s.addr
		if err = s.run(bin); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// run starts versitygw on s.addr and waits until it answers.
func (s *Server) run(bin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	args := []string{"--port", s.addr, "--quiet"}
	if s.readOnly {
		args = append(args, "--readonly")
	}
	cmd := exec.Command(bin, append(args, "posix", s.dir)...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	out := &bytes.Buffer{}
	w := &lockedWriter{w: out}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.out, s.done = cmd, out, done
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		select {
		case <-done:
			w.mu.Lock()
			defer w.mu.Unlock()
			return fmt.Errorf("versitygw exited at start (%s): %s", cmd.ProcessState, out)
		default:
		}
		if resp, err := client.Get(s.Endpoint + "/"); err == nil {
			resp.Body.Close()
			return nil // any answer, 403 included: it is serving
		}
		if time.Now().After(deadline) {
			s.killLocked()
			return errors.New("versitygw did not answer within 30s")
		}
		time.Sleep(wait)
	}
}

// Stop kills the server, as a crash or a lost store would: requests are refused until
// Restart.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	s.kill()
}

// Restart starts the stopped server again on the same address with the same buckets.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	bin, err := binary()
	if err == nil {
		err = s.run(bin)
	}
	if err != nil {
		tb.Fatalf("s3test: restart: %v", err)
	}
	tb.Cleanup(s.kill)
}

// SetReadOnly restarts the server refusing every write with AccessDenied while reads and
// HeadBucket are served (versitygw --readonly), as a bucket policy that grants s3:ListBucket
// but not s3:PutObject does; or accepting writes again. Each restart takes the server away
// for a moment, as Stop does.
func (s *Server) SetReadOnly(tb testing.TB, readOnly bool) {
	tb.Helper()
	s.kill()
	s.mu.Lock()
	s.readOnly = readOnly
	s.mu.Unlock()
	s.Restart(tb)
}

func (s *Server) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *Server) killLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Client is an S3 client of the server with its root credentials.
func (s *Server) Client(tb testing.TB) *minio.Client {
	tb.Helper()
	c, err := minio.New(s.addr, &minio.Options{
		Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: Region, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Bucket makes a bucket of the test's own, photoproc-test-<random>, and removes it with all
// its objects when the test ends.
func (s *Server) Bucket(tb testing.TB) string {
	tb.Helper()
	name := s.BucketName()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client(tb).MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		tb.Fatalf("s3test: make bucket %s: %v", name, err)
	}
	s.RemoveOnCleanup(tb, name)
	return name
}

// BucketName is a fresh bucket name, for a test that makes the bucket itself later.
func (s *Server) BucketName() string { return "photoproc-test-" + randomHex(8) }

// RemoveOnCleanup removes the bucket name, if it exists, with its objects when the test ends.
func (s *Server) RemoveOnCleanup(tb testing.TB, name string) {
	tb.Helper()
	c := s.Client(tb)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if ok, err := c.BucketExists(ctx, name); err != nil || !ok {
			return // gone, or the test stopped the server
		}
		for obj := range c.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err == nil {
				_ = c.RemoveObject(ctx, name, obj.Key, minio.RemoveObjectOptions{})
			}
		}
		if err := c.RemoveBucket(ctx, name); err != nil {
			tb.Errorf("s3test: remove bucket %s: %v", name, err)
		}
	})
}

// Config is a storage configuration for the bucket, under prefix (may be empty), with the
// server's credentials.
func (s *Server) Config(bucket, prefix string) thumbstore.Config {
	cfg := thumbstore.DefaultConfig()
	cfg.Location = "s3://" + bucket
	if prefix != "" {
		cfg.Location += "/" + prefix
	}
	cfg.S3 = thumbstore.S3Config{Endpoint: s.Endpoint, Region: Region, AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey}
	return cfg
}

// Env is the same configuration as a photoproc process reads it: PHOTOPROC_STORAGE and the
// standard AWS variables.
func (s *Server) Env(bucket, prefix string) []string {
	loc := "s3://" + bucket
	if prefix != "" {
		loc += "/" + prefix
	}
	return []string{
		"PHOTOPROC_STORAGE=" + loc,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
	}
}

// Objects lists the keys in bucket.
func (s *Server) Objects(tb testing.TB, bucket string) []string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var keys []string
	for obj := range s.Client(tb).ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			tb.Fatalf("s3test: list %s: %v", bucket, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

// binary finds versitygw, or installs it once for every test process of this machine.
func binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return p, nil
	}
	cache := cacheDir()
	installed := filepath.Join(cache, "versitygw")
	for _, p := range candidates(installed) {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	// Test processes of several packages may get here at once: one installs, the others wait
	// for it.
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if _, err := os.Stat(installed); err == nil {
		return installed, nil
	}
	cmd := exec.Command("go", "install", module+"@"+Version)
	cmd.Env = append(withoutGoFlags(os.Environ()), "GOBIN="+cache)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", module, Version, err, out)
	}
	return installed, nil
}

func candidates(installed string) []string {
	c := []string{installed}
	if p, err := exec.LookPath("versitygw"); err == nil {
		c = append(c, p)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			c = append(c, filepath.Join(dir, "bin", "versitygw"))
		}
	}
	return c
}

func cacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "photoproc", "versitygw-"+Version)
}

// withoutGoFlags drops the test build's flags (tags, -race) from the install.
func withoutGoFlags(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOFLAGS=") {
			out = append(out, kv)
		}
	}
	return out
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedWriter serialises the server's stdout and stderr into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
