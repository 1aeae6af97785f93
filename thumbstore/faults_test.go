//go:build linux

package thumbstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/photoproc/photoproc/internal/tmpfs"
	"github.com/photoproc/photoproc/thumbstore"
)

// The local directory failing as real file systems do, on a tmpfs each test mounts: every
// failure that is the store's own is ErrUnavailable of its kind, for Put, Probe and Check
// alike, and once it is gone the probe passes and puts work again.

const tmpfsSize = 1 << 20

func TestLocalFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kind string
		// fault breaks dir, on the tmpfs mounted at mnt, and returns what mends it.
		fault func(t *testing.T, mnt, dir string) (undo func())
	}{
		{"full", thumbstore.KindFull, func(t *testing.T, _, dir string) func() {
			return tmpfs.Fill(t, dir)
		}},
		{"read-only", thumbstore.KindReadOnly, func(t *testing.T, mnt, _ string) func() {
			tmpfs.ReadOnly(t, mnt, true)
			return func() { tmpfs.ReadOnly(t, mnt, false) }
		}},
		// Root is refused nothing by file modes; an immutable directory refuses even root
		// (EPERM). EACCES itself is met by a daemon run as another user (e2e).
		{"immutable", thumbstore.KindRefused, func(t *testing.T, _, dir string) func() {
			setImmutable(t, dir, true)
			return func() { setImmutable(t, dir, false) }
		}},
		{"gone", thumbstore.KindUnavailable, func(t *testing.T, _, dir string) func() {
			if err := os.Rename(dir, dir+".away"); err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := os.Rename(dir+".away", dir); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mnt := tmpfs.Mount(t, tmpfsSize)
			dir := filepath.Join(mnt, "thumbs")
			obs := &observer{}
			s := openLocalWith(t, dir, obs)
			ctx := context.Background()
			if _, err := s.Put(ctx, "before.jpg", []byte("before")); err != nil {
				t.Fatal(err)
			}

			undo := tc.fault(t, mnt, dir)
			_, err := s.Put(ctx, "during.jpg", bytes.Repeat([]byte("x"), 4096))
			requireKind(t, "Put", err, tc.kind)
			requireKind(t, "Probe", s.Probe(ctx), tc.kind)
			requireKind(t, "Check", s.Check(ctx), tc.kind)
			if obs.count("put", tc.kind) != 1 || obs.count("probe", tc.kind) != 1 {
				t.Errorf("observed %v, want a %s put and probe", obs.seen, tc.kind)
			}
			if tc.kind != thumbstore.KindUnavailable {
				// Reads go on while writes fail.
				readBack(t, s, "before.jpg", "before")
			}

			undo()
			if err := s.Probe(ctx); err != nil {
				t.Fatalf("Probe once the fault is gone = %v", err)
			}
			if err := s.Check(ctx); err != nil {
				t.Fatalf("Check once a probe passed = %v", err)
			}
			if _, err := s.Put(ctx, "after.jpg", []byte("after")); err != nil {
				t.Fatalf("Put once the fault is gone = %v", err)
			}
			readBack(t, s, "after.jpg", "after")
			assertNoTemp(t, dir)
		})
	}
}

func requireKind(t *testing.T, op string, err error, kind string) {
	t.Helper()
	if !errors.Is(err, thumbstore.ErrUnavailable) || thumbstore.Kind(err) != kind {
		t.Fatalf("%s = %v (kind %s), want ErrUnavailable of kind %s", op, err, thumbstore.Kind(err), kind)
	}
}

func openLocalWith(t *testing.T, dir string, obs thumbstore.Observer) *thumbstore.Store {
	t.Helper()
	cfg := thumbstore.DefaultConfig()
	cfg.Dir = dir
	s, err := thumbstore.Open(cfg, thumbstore.Deps{Metrics: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func readBack(t *testing.T, s *thumbstore.Store, url, want string) {
	t.Helper()
	obj, err := s.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%s) = %v", url, err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || string(got) != want {
		t.Fatalf("Open(%s) read %q, %v; want %q", url, got, err, want)
	}
}

// fsImmutable is FS_IMMUTABLE_FL of linux/fs.h, which x/sys/unix does not name.
const fsImmutable = 0x10

// setImmutable sets or clears the immutable attribute (chattr +i) of dir.
func setImmutable(t *testing.T, dir string, on bool) {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Fatalf("get the attributes of %s: %v", dir, err)
	}
	if on {
		flags |= fsImmutable
	} else {
		flags &^= fsImmutable
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
		t.Fatalf("set the immutable attribute of %s (tmpfs supports it since Linux 6.0): %v", dir, err)
	}
}

// A directory removed and made again at the same path — here a new file system mounted there,
// with the old files restored — is opened again: thumbnails put afterwards go into it, and
// both they and the restored ones are read from it, with no restart.
func TestLocalDirectoryReplaced(t *testing.T) {
	t.Parallel()
	dir := tmpfs.Mount(t, tmpfsSize)
	s := openLocalWith(t, dir, nil)
	ctx := context.Background()
	if _, err := s.Put(ctx, "before.jpg", []byte("before")); err != nil {
		t.Fatal(err)
	}
	tmpfs.Replace(t, dir, tmpfsSize)
	if _, err := s.Put(ctx, "after.jpg", []byte("after")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"before.jpg": "before", "after.jpg": "after"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s in the directory now at the path: %q, %v; want %q", name, got, err, want)
		}
		readBack(t, s, name, want)
	}

	// Removed and made again, empty: what is read is what is there now.
	if err := os.RemoveAll(filepath.Join(dir, "after.jpg")); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	s2 := openLocalWith(t, sub, nil)
	if _, err := s2.Put(ctx, "old.jpg", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Open(ctx, "old.jpg"); !errors.Is(err, thumbstore.ErrNotFound) {
		t.Errorf("Open of a file removed with its directory = %v, want ErrNotFound", err)
	}
	if _, err := s2.Put(ctx, "new.jpg", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(sub, "new.jpg")); err != nil {
		t.Errorf("put after the directory was made again: %v", err)
	}
}

// Puts and reads run while the directory is replaced again and again under them: none fails
// (a root closed under an operation is looked up again), the race detector sees nothing, and
// every put made after the last replacement is in the directory the path names. Each
// replacement waits until every writer has finished a put after the one before, so that no
// put meets more than one of them.
func TestLocalDirectoryReplacedUnderLoad(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "thumbs")
	s := openLocal(t, dir)
	ctx := context.Background()
	const writers, replacements = 4, 20
	var (
		wg   sync.WaitGroup
		stop = make(chan struct{})
		errs = make(chan error, writers)
		done [writers]atomic.Int64 // puts each writer has finished
	)
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("w%d-%d.jpg", w, i)
				if _, err := s.Put(ctx, name, []byte(name)); err != nil {
					errs <- err
					return
				}
				done[w].Add(1)
				if obj, err := s.Open(ctx, name); err == nil {
					obj.Close()
				} else if !errors.Is(err, thumbstore.ErrNotFound) { // replaced since the put
					errs <- err
					return
				}
			}
		})
	}
	for i := range replacements {
		// Renamed aside rather than removed, so that no put can meet a path that names nothing.
		if err := os.Mkdir(filepath.Join(base, "next"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := renameExchange(filepath.Join(base, "next"), dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(base, "next"), filepath.Join(base, fmt.Sprintf("old-%d", i))); err != nil {
			t.Fatal(err)
		}
		for w := range writers {
			// Until the put the writer is in (or starts next) has finished: the next
			// replacement then meets only a put begun after this one.
			for after := done[w].Load(); done[w].Load() == after && len(errs) == 0; {
				runtime.Gosched()
			}
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("during replacements: %v", err)
	}
	for w := range writers {
		name := fmt.Sprintf("final-%d.jpg", w)
		if _, err := s.Put(ctx, name, []byte(name)); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("put after the last replacement: %v", err)
		}
		readBack(t, s, name, name)
	}
}

// renameExchange swaps two directories atomically, so that the path always names one.
func renameExchange(a, b string) error {
	if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
		return &os.LinkError{Op: "renameat2", Old: a, New: b, Err: err}
	}
	return nil
}

// The errors no test here can make root meet are sorted like the rest.
func TestKindOfErrno(t *testing.T) {
	t.Parallel()
	for errno, kind := range map[syscall.Errno]string{
		syscall.ENOSPC: thumbstore.KindFull, syscall.EDQUOT: thumbstore.KindFull,
		syscall.EROFS: thumbstore.KindReadOnly, syscall.EACCES: thumbstore.KindRefused,
		syscall.EPERM: thumbstore.KindRefused, syscall.EIO: thumbstore.KindOther,
	} {
		err := thumbstore.ErrorFromFS(&os.PathError{Op: "open", Path: "x", Err: errno})
		if got := thumbstore.Kind(err); got != kind {
			t.Errorf("%v: kind %s, want %s", errno, got, kind)
		}
		if want := kind != thumbstore.KindOther; errors.Is(err, thumbstore.ErrUnavailable) != want {
			t.Errorf("%v: unavailable %t, want %t", errno, !want, want)
		}
	}
}
