//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/internal/tmpfs"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
	"github.com/photoproc/photoproc/thumbstore/s3test"
)

// The thumbnail storage failing under a whole photoproc process, mid-batch: the thumbnails
// directory on a tmpfs the test mounts, made full, read-only, unwritable for the daemon's
// user, or replaced by another at the same path; a bucket that refuses uploads. Whatever the
// fault, no photo fails, every photo completes after one attempt and one download, every
// row's file is there and the API serves it; while a fault lasts the daemon holds its photos
// with intake paused, says why on /readyz and the admin page, and does not spin.

const (
	// thumbsSize is the tmpfs the thumbnails directory is on: room for a batch, small enough
	// to fill at once.
	thumbsSize = 16 << 20
	// faultBatch photos are sent, faultDone of them completed before the fault.
	faultBatch, faultDone = 16, 4
	// faultHeld is how long a fault that pauses the daemon is kept in place once it has.
	faultHeld = 5 * time.Second
	// maxCPUShare bounds the daemon's CPU while a fault lasts: a bound on spinning (a loop of
	// retries would take a core), not on speed.
	maxCPUShare = 0.25
)

// storageFault breaks the thumbnails directory dir, on the tmpfs mounted at mnt, and returns
// what mends it.
type storageFault func(t *testing.T, mnt, dir string) (mend func())

func TestStorageFaultDirectoryFull(t *testing.T) {
	t.Parallel()
	runDirectoryFault(t, "directory full", thumbstore.KindFull, false, func(t *testing.T, _, dir string) func() {
		return tmpfs.Fill(t, dir)
	})
}

func TestStorageFaultDirectoryReadOnly(t *testing.T) {
	t.Parallel()
	runDirectoryFault(t, "directory read-only", thumbstore.KindReadOnly, false, func(t *testing.T, mnt, _ string) func() {
		tmpfs.ReadOnly(t, mnt, true)
		return func() { tmpfs.ReadOnly(t, mnt, false) }
	})
}

// The daemon runs as nobody, for whom a directory of mode 0555 refuses writes (EACCES): root
// is refused nothing by file modes.
func TestStorageFaultDirectoryPermissionRefused(t *testing.T) {
	t.Parallel()
	runDirectoryFault(t, "directory permission refused", thumbstore.KindRefused, true, func(t *testing.T, _, dir string) func() {
		chmod(t, dir, 0o555)
		return func() { chmod(t, dir, 0o755) }
	})
}

// A new file system mounted at the directory's path, with the thumbnails made so far copied
// into it: a volume restored from a backup. The daemon does not pause: the thumbnails it
// stores afterwards go into the new directory, and it serves them from there, with no restart.
func TestStorageFaultDirectoryMadeAgain(t *testing.T) {
	t.Parallel()
	runDirectoryFault(t, "directory made again", "", false, func(t *testing.T, mnt, _ string) func() {
		tmpfs.Replace(t, mnt, thumbsSize)
		return func() {}
	})
}

// A bucket that refuses uploads while it answers HeadBucket and serves reads (versitygw in
// read-only mode answers AccessDenied, as Amazon S3 does for a policy without s3:PutObject):
// the photos are held, never handed back in a loop, until uploads are accepted again.
func TestStorageFaultBucketRefusesWrites(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	svc := newS3Services(t, srv, "")
	c := startCommand(t, exec.Command(faultBinary(t), "serve"), "", svc.childEnv())
	addrs := c.waitStarted(t)
	urls, ids := svc.startBatch(t, addrs.HTTP, "s3refused", faultBatch, faultDone)

	srv.SetReadOnly(t, true)
	cpu := holdFault(t, c, svc, addrs.Admin, ids, thumbstore.KindRefused)
	srv.SetReadOnly(t, false)

	reportFault(t, "bucket refuses PutObject", svc, addrs.HTTP, urls, ids, cpu.String())
}

// runDirectoryFault runs a batch through a photoproc process whose thumbnails directory is
// on a tmpfs of its own, injects fault once the first photos are completed and the next ones
// are downloading, and checks the outcome. kind is what /readyz says while the fault holds the
// daemon paused; "" for a fault it does not pause for. asNobody runs the daemon as nobody.
func runDirectoryFault(t *testing.T, name, kind string, asNobody bool, fault storageFault) {
	t.Helper()
	mnt := tmpfs.Mount(t, thumbsSize)
	dir := filepath.Join(mnt, "thumbs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	svc := newServices(t)
	svc.thumbs = dir
	cmd := exec.Command(faultBinary(t), "serve")
	if asNobody {
		runAsNobody(t, cmd, dir)
	}
	c := startCommand(t, cmd, mnt, svc.childEnv())
	addrs := c.waitStarted(t)
	urls, ids := svc.startBatch(t, addrs.HTTP, strings.ReplaceAll(name, " ", "-"), faultBatch, faultDone)

	mend := fault(t, mnt, dir)
	cpu := "not paused"
	if kind != "" {
		cpu = holdFault(t, c, svc, addrs.Admin, ids, kind).String()
	} else {
		svc.photos.releaseAll()
	}
	mend()

	reportFault(t, name, svc, addrs.HTTP, urls, ids, cpu)
}

// faultBinary is the photoproc these tests run: without the race detector, whose cost would
// be most of the CPU measured during a fault (the code these tests go through runs under it
// in the thumbstore and pool tests).
func faultBinary(t *testing.T) string { return buildPhotoproc(t, false) }

// holdFault lets the held downloads through into the fault, waits until the daemon holds the
// photos with intake paused and says why, keeps the fault for faultHeld and returns the CPU
// time the daemon used meanwhile, which must show it did not spin.
func holdFault(t *testing.T, c *child, svc *services, adminAddr string, ids []uuid.UUID, kind string) time.Duration {
	t.Helper()
	svc.photos.releaseAll()
	var reasons []string
	testkit.EventuallyWithin(t, batchTimeout, "the daemon to hold its photos, paused, saying why", func() bool {
		st, ok := adminStatus(t, http.DefaultClient, adminAddr)
		if !ok || st.Pool == nil || !st.Pool.Paused {
			return false
		}
		reasons = st.Pool.PausedReasons
		return len(reasons) == 1 && strings.HasPrefix(reasons[0], "thumbnail storage unavailable: ") &&
			readyChecksAt(http.DefaultClient, adminAddr)["storage"] == kind
	})
	t.Logf("paused: %s", reasons[0])
	if resp, err := http.Get("http://" + adminAddr + "/readyz"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the fault: %v %v, want 503", resp, err)
	} else {
		resp.Body.Close()
	}
	cpu := c.cpuDuring(t, faultHeld)
	if share := cpu.Seconds() / faultHeld.Seconds(); share > maxCPUShare {
		t.Errorf("photoproc used %s of CPU in %s of the fault (%.0f%% of a core): it spins", cpu, faultHeld, 100*share)
	}
	if n := svc.countStatus(ids, store.StatusFailed); n != 0 {
		t.Errorf("%d photos failed during the fault", n)
	}
	return cpu
}

// reportFault waits for the batch to settle, checks that every photo completed once, after one
// attempt and one download, with its file stored and served by the API at httpAddr, and logs
// the fault table's row with cpu, the daemon's CPU during the fault.
func reportFault(t *testing.T, name string, svc *services, httpAddr string, urls []string, ids []uuid.UUID, cpu string) {
	t.Helper()
	photos := svc.waitSettled(t, ids, batchTimeout)
	o := svc.checkOutcome(t, name, ids)
	o.requireAllCompleted(t)
	missing := 0
	for i, id := range ids {
		if p := photos[id]; p.Attempts != 1 || svc.photos.requestsFor(urls[i]) != 1 {
			t.Errorf("photo %d: %d attempts, %d downloads; want 1 and 1", i, p.Attempts, svc.photos.requestsFor(urls[i]))
		}
		if !servesThumbnail(t, svc, httpAddr, id) {
			missing++
		}
	}
	t.Logf("FAULT TABLE | %s | sent %d | completed %d | failed %d | duplicated %d | files missing %d | CPU during %s: %s",
		name, o.sent, o.completed, o.failed, o.duplicated, missing, faultHeld, cpu)
}

// servesThumbnail reports whether the thumbnail of photo id is stored where its row says and
// the API serves exactly it.
func servesThumbnail(t *testing.T, svc *services, httpAddr string, id uuid.UUID) bool {
	t.Helper()
	_, thumbs, err := svc.store.Photo(context.Background(), id)
	if err != nil || len(thumbs) != 1 {
		t.Errorf("photo %s: %d thumbnail rows, %v", id, len(thumbs), err)
		return false
	}
	stored, ok := svc.tryReadStored(t, thumbs[0].URL)
	if !ok {
		t.Errorf("photo %s: no file at %s", id, thumbs[0].URL)
		return false
	}
	resp, body := httpGet(t, http.DefaultClient, fmt.Sprintf("http://%s/photos/%s/thumbnail", httpAddr, id), nil)
	if resp.Status != http.StatusOK || !bytes.Equal(body, stored) {
		t.Errorf("GET /photos/%s/thumbnail = %d, %d bytes; want 200 and the %d stored", id, resp.Status, len(body), len(stored))
	}
	return true
}

// runAsNobody makes cmd run as the user nobody, owner of dir, from a directory of its binary
// that nobody may enter.
func runAsNobody(t *testing.T, cmd *exec.Cmd, dir string) {
	t.Helper()
	const nobody = 65534
	binDir, err := os.MkdirTemp("", "photoproc-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(binDir) })
	bin := filepath.Join(binDir, "photoproc")
	chmod(t, binDir, 0o755)
	if err := os.Link(cmd.Path, bin); err != nil {
		t.Fatalf("link the binary where nobody may run it: %v", err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
