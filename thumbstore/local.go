package thumbstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TempPrefix starts the names of the local backend's temporary files. One left by a crash is
// garbage; RemoveLeftovers deletes it.
const TempPrefix = ".tmp-"

// local keeps thumbnails as files in one directory. Every access goes through an os.Root, so
// no key, whatever a database row says, reaches outside it.
//
// An os.Root holds the directory it opened, not its path: a directory removed and made again
// at the same path (a restored volume, a cleanup job, a new mount) would keep receiving files
// in the deleted one, and reads would miss the new one. So every operation first compares
// the path's directory with the root's (device and inode), and opens the path again when they
// differ; a put compares again after its rename and writes again if the directory was replaced
// meanwhile.
type local struct {
	dir string
	log *slog.Logger

	root atomic.Pointer[os.Root] // the directory dir named when last looked at
	mu   sync.Mutex              // serialises reopening
}

func newLocal(dir string, log *slog.Logger) (*local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("thumbnails directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("thumbnails directory: %w", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	l := &local{dir: dir, log: log}
	l.root.Store(root)
	return l, nil
}

// maxReplaced bounds how often one operation follows a replaced directory before it gives up.
const maxReplaced = 3

// put writes data atomically: to a temporary file, synced, renamed over key, then the
// directory synced. Readers see the old file or the new one, never a part; after a crash key
// holds a complete file or none, and only a TempPrefix file may be left over. Concurrent
// writers of one key leave one of their files, whole. The file gets mode 0644.
func (l *local) put(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !isPlainName(key) {
		return fmt.Errorf("%q is not a plain file name", key)
	}
	return l.inCurrent(func(root *os.Root) error { return putIn(root, key, data) })
}

// inCurrent runs a write in the directory the path names now, and again if that directory
// was replaced before the write finished, so that a write that succeeds is in the directory
// the path names after it.
func (l *local) inCurrent(write func(*os.Root) error) error {
	for range maxReplaced {
		root, err := l.current()
		if err != nil {
			return err
		}
		err = write(root)
		if errors.Is(err, os.ErrClosed) {
			continue // another operation found the directory replaced and closed this root
		}
		if err != nil {
			return l.fsError(err)
		}
		if same, err := l.matches(root); err != nil || same {
			return err
		}
	}
	return fmt.Errorf("%w: %s was replaced during %d writes in a row", ErrUnavailable, l.dir, maxReplaced)
}

func putIn(root *os.Root, key string, data []byte) (err error) {
	tmp := TempPrefix + key + "." + strconv.FormatUint(rand.Uint64(), 36)
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = root.Remove(tmp)
		}
	}()
	if err := writeSynced(f, data); err != nil {
		return err
	}
	if err := root.Rename(tmp, key); err != nil {
		return err
	}
	// The rename is durable only once the directory entry is.
	if err := syncDir(root); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// current is the root of the directory the path names now, opened again if the one it held
// was replaced.
func (l *local) current() (*os.Root, error) {
	root := l.root.Load()
	same, err := l.matches(root)
	if err != nil || same {
		return root, err
	}
	return l.reopen(root)
}

// matches reports whether the path still names root's directory; ErrUnavailable when it names
// none.
func (l *local) matches(root *os.Root) (bool, error) {
	path, err := os.Stat(l.dir)
	switch {
	case err != nil:
		return false, l.fsError(fmt.Errorf("%w: %w", ErrUnavailable, err))
	case !path.IsDir():
		return false, fmt.Errorf("%w: %s is not a directory", ErrUnavailable, l.dir)
	}
	opened, err := root.Stat(".")
	if err != nil {
		return false, nil // closed by a reopen meanwhile
	}
	return os.SameFile(path, opened), nil
}

// reopen replaces old, the root of a directory the path no longer names, by the directory it
// names now. Roots in use stay usable until their operation ends (os.Root counts them), and
// the next operation on a closed one gets os.ErrClosed and looks again.
func (l *local) reopen(old *os.Root) (*os.Root, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur := l.root.Load(); cur != old {
		return cur, nil // reopened by another operation meanwhile
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, l.fsError(fmt.Errorf("%w: %w", ErrUnavailable, err))
	}
	l.root.Store(root)
	_ = old.Close()
	l.log.Warn("thumbnails directory replaced (same path, another directory): using the new one", "dir", l.dir)
	return root, nil
}

func isPlainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.HasPrefix(name, TempPrefix) &&
		filepath.Base(name) == name && !strings.ContainsAny(name, `/\`)
}

// writeSynced writes data to f, makes it readable by others (it was created 0600, so that no
// one reads it half-written), syncs it and closes it.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func syncDir(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// fsError sorts a file system error: the store's own state (full, read-only, permissions, the
// directory gone) is ErrUnavailable, anything else comes back as it is.
func (l *local) fsError(err error) error {
	if errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrUnavailable) {
		if _, serr := os.Stat(l.dir); serr != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, serr)
		}
	}
	return fsUnavailable(err)
}

// probeSize is what a probe writes: about a thumbnail, so that a disk with room for the probe
// but not for thumbnails is rare.
const probeSize = 32 << 10

// probe writes a temporary file the size of a thumbnail, syncs it and removes it: it fails
// exactly while writes fail.
func (l *local) probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.inCurrent(func(root *os.Root) (err error) {
		tmp := TempPrefix + "probe." + strconv.FormatUint(rand.Uint64(), 36)
		f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, root.Remove(tmp)) }()
		return writeSynced(f, make([]byte, probeSize))
	})
}

func (l *local) open(_ context.Context, key string) (*Object, error) {
	var f *os.File
	err := l.read(func(root *os.Root) (err error) {
		f, err = root.Open(key)
		return err
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, fsUnavailable(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a file", ErrNotFound, key)
	}
	return &Object{ReadSeekCloser: f, Info: fileInfo(st)}, nil
}

func (l *local) stat(_ context.Context, key string) (Info, error) {
	var st fs.FileInfo
	err := l.read(func(root *os.Root) (err error) {
		st, err = root.Stat(key)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err != nil {
		return Info{}, fsUnavailable(err)
	}
	return fileInfo(st), nil
}

// read runs a read in the directory the path names now.
func (l *local) read(fn func(*os.Root) error) error {
	for range maxReplaced {
		root, err := l.current()
		if err != nil {
			return err
		}
		if err = fn(root); !errors.Is(err, os.ErrClosed) {
			return err
		}
	}
	return fmt.Errorf("%w: %s was replaced during %d reads in a row", ErrUnavailable, l.dir, maxReplaced)
}

// fileInfo tags a file by its size and modification time: a rename over it changes both.
func fileInfo(st fs.FileInfo) Info {
	return Info{Size: st.Size(), ModTime: st.ModTime(),
		ETag: fmt.Sprintf(`"%x-%x"`, st.Size(), st.ModTime().UnixNano())}
}

// check: the path names a directory, opened again if it was replaced.
func (l *local) check(context.Context) error {
	_, err := l.current()
	return err
}

func (l *local) presign(context.Context, string, time.Duration) (string, error) {
	return "", ErrNotSupported
}

// removeLeftovers deletes the temporary files put left, last modified before olderThan.
func (l *local) removeLeftovers(ctx context.Context, olderThan time.Time) (int, error) {
	// Read the directory in batches: it holds every thumbnail, possibly millions, and
	// os.ReadDir would hold and sort all their names.
	root, err := l.current()
	if err != nil {
		return 0, err
	}
	d, err := root.Open(".")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	removed := 0
	var errs []error
	for ctx.Err() == nil {
		entries, err := d.ReadDir(1024)
		for _, e := range entries {
			n, err := removeIfStale(root, e, olderThan)
			removed += n
			if err != nil {
				errs = append(errs, err)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			break
		}
	}
	return removed, errors.Join(append(errs, ctx.Err())...)
}

// removeIfStale removes e if it is a temporary file last modified before olderThan, and
// returns how many files it removed (0 or 1).
func removeIfStale(root *os.Root, e fs.DirEntry, olderThan time.Time) (int, error) {
	if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), TempPrefix) {
		return 0, nil
	}
	info, err := e.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // renamed or removed meanwhile
	}
	if err != nil {
		return 0, err
	}
	if !info.ModTime().Before(olderThan) {
		return 0, nil
	}
	if err := root.Remove(e.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	return 1, nil
}

// url: a local thumbnail is recorded by its path relative to the directory.
func (l *local) url(key string) string { return key }

// keyOf takes a path inside the directory (no "..", not absolute); os.Root keeps even that
// inside, through symbolic links too.
func (l *local) keyOf(url string) (string, bool) {
	if !filepath.IsLocal(url) || strings.Contains(url, "://") {
		return "", false
	}
	return url, true
}

func (l *local) close() error { return l.root.Load().Close() }
