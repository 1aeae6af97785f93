//go:build linux

// Package tmpfs gives tests a small file system of their own, to make the thumbnails
// directory fail as real disks do: full, read-only, or replaced by another at the same path.
// It mounts tmpfs, which needs root (CAP_SYS_ADMIN): the tests run as root here and in CI. A
// test skips, saying why, only where it does not run as root; as root a mount that fails
// fails the test, so that CI cannot pass without running it. It is for tests only.
package tmpfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Mount mounts a tmpfs of size bytes (rounded up to pages) at a new directory that every user
// may enter, and unmounts it when the test ends. The mount's own directory is dir; its mode is
// 0755, owned by root.
func Mount(tb testing.TB, size int64) (dir string) {
	tb.Helper()
	base, err := os.MkdirTemp("", "photoproc-tmpfs-")
	if err != nil {
		tb.Fatal(err)
	}
	// Other users (a daemon run as nobody) must reach the mount.
	if err := os.Chmod(base, 0o755); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(base) })
	dir = filepath.Join(base, "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := mount(dir, size); err != nil {
		if os.Geteuid() != 0 {
			tb.Skipf("mounting a tmpfs needs root (these tests run as root in CI): %v", err)
		}
		tb.Fatalf("mount a tmpfs at %s as root: %v", dir, err)
	}
	tb.Cleanup(func() { unmount(tb, dir) })
	return dir
}

func mount(dir string, size int64) error {
	return syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV,
		fmt.Sprintf("size=%d,mode=0755", size))
}

// unmount detaches every tmpfs mounted at dir (Replace stacks them).
func unmount(tb testing.TB, dir string) {
	tb.Helper()
	for {
		err := syscall.Unmount(dir, syscall.MNT_DETACH)
		if errors.Is(err, syscall.EINVAL) {
			return // nothing mounted there any more
		}
		if err != nil {
			tb.Errorf("unmount %s: %v", dir, err)
			return
		}
	}
}

// Fill writes a file into dir until the file system is full, and returns a function that
// removes it again.
func Fill(tb testing.TB, dir string) (free func()) {
	tb.Helper()
	name := filepath.Join(dir, ".filler")
	f, err := os.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for err == nil {
		_, err = f.Write(chunk)
	}
	// Whatever the last write could not hold, smaller ones may.
	for n := len(chunk) / 2; n > 0 && errors.Is(err, syscall.ENOSPC); n /= 2 {
		for err = nil; err == nil; {
			_, err = f.Write(chunk[:n])
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		tb.Fatalf("fill %s: %v, want no space left", dir, err)
	}
	if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		tb.Fatal(err)
	}
	return func() {
		tb.Helper()
		if err := os.Remove(name); err != nil {
			tb.Fatal(err)
		}
	}
}

// ReadOnly remounts the tmpfs at dir read-only, or read-write again. A file open for writing
// makes the kernel refuse (EBUSY): it is tried again until the writer is done.
func ReadOnly(tb testing.TB, dir string, ro bool) {
	tb.Helper()
	flags := uintptr(syscall.MS_REMOUNT | syscall.MS_NOSUID | syscall.MS_NODEV)
	if ro {
		flags |= syscall.MS_RDONLY
	}
	deadline := time.Now().Add(30 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := syscall.Mount("", dir, "", flags, "")
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			tb.Fatalf("remount %s (read-only %t): %v", dir, ro, err)
		}
		time.Sleep(wait)
	}
}

// Replace puts a new tmpfs of size bytes at dir, holding a copy of what the old one held,
// and detaches the old one, as a volume restored from a backup is: same path, another
// directory. A process that opened the old one keeps it, deleted.
func Replace(tb testing.TB, dir string, size int64) {
	tb.Helper()
	saved := tb.TempDir()
	copyTree(tb, dir, saved)
	if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
		tb.Fatalf("unmount %s: %v", dir, err)
	}
	if err := mount(dir, size); err != nil {
		tb.Fatalf("mount a new tmpfs at %s: %v", dir, err)
	}
	copyTree(tb, saved, dir)
}

// copyTree copies the directories and regular files under from into to, keeping their modes
// and owners.
func copyTree(tb testing.TB, from, to string) {
	tb.Helper()
	err := filepath.WalkDir(from, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		switch {
		case e.IsDir():
			return copyDir(path, target)
		case e.Type().IsRegular():
			return copyFile(path, target)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("copy %s to %s: %v", from, to, err)
	}
}

func copyDir(from, to string) error {
	st, err := os.Stat(from)
	if err != nil {
		return err
	}
	if err := os.Mkdir(to, st.Mode().Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	sys := st.Sys().(*syscall.Stat_t)
	return errors.Join(os.Chown(to, int(sys.Uid), int(sys.Gid)), os.Chmod(to, st.Mode().Perm()))
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	sys := st.Sys().(*syscall.Stat_t)
	return errors.Join(dst.Chown(int(sys.Uid), int(sys.Gid)), dst.Close())
}
