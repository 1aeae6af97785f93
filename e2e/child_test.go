package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue/queuetest"
)

// Tests that kill, stop or run several daemons use real photoproc processes: the binary is
// built once per test run, and each child process is pointed at the test's services through
// the environment, exactly as an operator would run it.

// binaries are the photoproc binaries child processes run, built on first use: one with the
// race detector when the tests have it (the build then reuses the packages compiled for the
// tests, and a race in the child fails its exit code), and one without, for measuring memory
// (the race detector's shadow memory would be most of it). TestMain removes them.
var binaries struct {
	mu    sync.Mutex
	dir   string
	built map[bool]string // by race detector
}

// photoprocBinary is the binary child processes run, with the race detector when the tests
// have it.
func photoprocBinary(t *testing.T) string {
	t.Helper()
	return buildPhotoproc(t, raceEnabled)
}

// buildPhotoproc returns the binary built with or without the race detector.
func buildPhotoproc(t *testing.T, race bool) string {
	t.Helper()
	binaries.mu.Lock()
	defer binaries.mu.Unlock()
	if p, ok := binaries.built[race]; ok {
		return p
	}
	if binaries.dir == "" {
		dir, err := os.MkdirTemp("", "photoproc-test-bin-")
		if err != nil {
			t.Fatalf("build photoproc: %v", err)
		}
		binaries.dir, binaries.built = dir, map[bool]string{}
	}
	name, flags := "photoproc-norace", []string{}
	if race {
		name, flags = "photoproc", []string{"-race"}
	}
	path := filepath.Join(binaries.dir, name)
	args := append([]string{"build", "-o", path}, flags...)
	out, err := exec.Command("go", append(args, "github.com/photoproc/photoproc/cmd/photoproc")...).CombinedOutput()
	if err != nil {
		t.Fatalf("build photoproc: %v\n%s", err, out)
	}
	binaries.built[race] = path
	return path
}

// child is one photoproc process.
type child struct {
	cmd  *exec.Cmd
	logs *testkit.Buffer // its stderr and stdout: JSON log lines
	done chan struct{}
	err  error // how it exited; set when done is closed
}

// childEnv configures a child daemon for the services: its own database, queue and thumbnails
// directory, ports chosen by the system, JSON logs, the test retry backoff; then extra.
func (s *services) childEnv(extra ...string) []string {
	env := []string{
		"PG_CONNECTION_URI=" + s.uri,
		"AMQP_URI=" + s.queue.URI,
		"PHOTOPROC_QUEUE=" + s.queue.Queue,
		"PHOTOPROC_THUMBS_DIR=" + s.thumbs,
		"PHOTOPROC_HTTP_ADDR=127.0.0.1:0",
		"PHOTOPROC_ADMIN_ADDR=127.0.0.1:0",
		"PHOTOPROC_ALLOW_PRIVATE_URLS=true",
		"PHOTOPROC_WORKERS=2",
		"PHOTOPROC_RETRY_BACKOFF=" + queuetest.Retry().Backoff.String(),
		"PHOTOPROC_LOG_FORMAT=json",
	}
	if s.s3 != nil {
		env = append(env, s.s3.Env(s.bucket, s3Prefix)...)
	}
	return append(env, extra...)
}

// startChild runs photoproc with args and env (on top of this process's environment without
// any photoproc setting), and kills it if it is still running when the test ends.
func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	return startBinary(t, photoprocBinary(t), "", env, args...)
}

// startChildIn is startChild with dir as the working directory ("" = this process's).
func startChildIn(t *testing.T, dir string, env []string, args ...string) *child {
	t.Helper()
	return startBinary(t, photoprocBinary(t), dir, env, args...)
}

// startBinary is startChildIn with a binary of buildPhotoproc's.
func startBinary(t *testing.T, bin, dir string, env []string, args ...string) *child {
	t.Helper()
	return startCommand(t, exec.Command(bin, args...), dir, env)
}

// startCommand runs cmd (photoproc, set up as the test wants: another user, say) in dir with
// env on top of this process's environment without any photoproc setting, and kills it if it
// is still running when the test ends.
func startCommand(t *testing.T, cmd *exec.Cmd, dir string, env []string) *child {
	t.Helper()
	c := &child{cmd: cmd, logs: &testkit.Buffer{}, done: make(chan struct{})}
	c.cmd.Dir = dir
	c.cmd.Env = append(inheritedEnv(), env...)
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start photoproc: %v", err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("%s (pid %d) logged:\n%s", strings.Join(c.cmd.Args, " "), c.cmd.Process.Pid, c.logs)
		}
	})
	return c
}

// runCommand runs photoproc with args to the end, with no photoproc setting in its
// environment, and returns its exit code and what it printed.
func runCommand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	cmd := exec.Command(photoprocBinary(t), args...)
	cmd.Env = inheritedEnv()
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		t.Fatalf("run photoproc %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// inheritedEnv is this process's environment without the variables photoproc reads.
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PHOTOPROC_") && !strings.HasPrefix(kv, "PG_CONNECTION_URI=") && !strings.HasPrefix(kv, "AMQP_URI=") {
			env = append(env, kv)
		}
	}
	return env
}

// waitStarted waits for the "started" log line, then for the daemon to report ready (the
// broker connections come up in the background), and returns the addresses it listens on.
func (c *child) waitStarted(t *testing.T) daemon.Addrs {
	t.Helper()
	var addrs daemon.Addrs
	testkit.EventuallyWithin(t, time.Minute, "photoproc to start", func() bool {
		select {
		case <-c.done:
			t.Fatalf("photoproc exited before starting: %v\n%s", c.err, c.logs)
		default:
		}
		for _, line := range c.logLines() {
			if line["msg"] == "started" {
				addrs.HTTP, _ = line["http"].(string)
				addrs.Admin, _ = line["admin"].(string)
				return true
			}
		}
		return false
	})
	testkit.EventuallyWithin(t, time.Minute, "photoproc to report ready", func() bool {
		resp, err := http.Get("http://" + addrs.Admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return addrs
}

// logLines are the JSON log lines so far.
func (c *child) logLines() []map[string]any {
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(c.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// thumbnailsMade counts, by photo, the thumbnails the child made and recorded.
func (c *child) thumbnailsMade() map[string]int {
	made := map[string]int{}
	for _, line := range c.logLines() {
		if line["msg"] == "thumbnail made" {
			id, _ := line["photo_uuid"].(string)
			made[id]++
		}
	}
	return made
}

// signal sends sig and waits until the child exits, returning how long that took and its
// exit code (-1 when a signal ended it).
func (c *child) signal(t *testing.T, sig syscall.Signal) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	return time.Since(start) + c.wait(t), c.cmd.ProcessState.ExitCode()
}

// peakRSS is the most resident memory the running child has used so far, in bytes: the high
// water mark of its address space (VmHWM). Not getrusage's ru_maxrss: Go starts children with
// clone(CLONE_VM|CLONE_VFORK), and exec records the high water mark of the address space it
// leaves, this test process's, as the child's maximum (776 MB reported for a child that never
// passed 670).
func (c *child) peakRSS(t *testing.T) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read the memory of photoproc: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", kb, err)
			}
			return n << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// wait waits until the child exits and returns how long that took.
func (c *child) wait(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-c.done:
	case <-time.After(time.Minute):
		t.Fatal("photoproc did not exit within a minute")
	}
	return time.Since(start)
}

// cpu is the CPU time, user and system, the child has used so far, from /proc: a measure of
// work that does not depend on how loaded the machine is.
func (c *child) cpu(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read the CPU time of photoproc: %v", err)
	}
	// After "pid (comm) ": state is field 3; utime and stime, in clock ticks, 14 and 15.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		t.Fatalf("unexpected /proc stat line: %s", b)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("unexpected /proc stat line: %s", b)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ
}

// userHZ is the unit of the CPU times in /proc (USER_HZ), 100 on Linux.
const userHZ = 100

// cpuDuring keeps a fault in place for d — the fault's duration, not a wait for an event —
// and returns the CPU time the child used meanwhile. The child must stay up.
func (c *child) cpuDuring(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	before, start := c.cpu(t), time.Now()
	testkit.EventuallyWithin(t, d+time.Minute, fmt.Sprintf("the fault to last %s", d), func() bool {
		select {
		case <-c.done:
			t.Fatalf("photoproc exited during the fault: %v", c.err)
		default:
		}
		return time.Since(start) >= d
	})
	return c.cpu(t) - before
}
