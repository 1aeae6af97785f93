package thumbstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TempPrefix starts the names of the local backend's temporary files. One left by a crash is
// garbage; RemoveLeftovers deletes it.
const TempPrefix = ".tmp-"

// local keeps thumbnails as files in one directory. Every access goes through an os.Root, so
// no key, whatever a database row says, reaches outside it.
type local struct {
	dir  string
	root *os.Root
}

func newLocal(dir string) (*local, error) {
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
	return &local{dir: dir, root: root}, nil
}

// put writes data atomically: to a temporary file, synced, renamed over key, then the
// directory synced. Readers see the old file or the new one, never a part; after a crash key
// holds a complete file or none, and only a TempPrefix file may be left over. Concurrent
// writers of one key leave one of their files, whole. The file gets mode 0644.
func (l *local) put(ctx context.Context, key string, data []byte) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !isPlainName(key) {
		return fmt.Errorf("%q is not a plain file name", key)
	}
	tmp := TempPrefix + key + "." + strconv.FormatUint(rand.Uint64(), 36)
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return l.fsError(err)
	}
	defer func() {
		if err != nil {
			_ = l.root.Remove(tmp)
		}
	}()
	if err := writeSynced(f, data); err != nil {
		return err
	}
	if err := l.root.Rename(tmp, key); err != nil {
		return err
	}
	// The rename is durable only once the directory entry is.
	if err := l.syncDir(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
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

func (l *local) syncDir() error {
	d, err := l.root.Open(".")
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// fsError marks a directory that is gone as unavailable: nothing can be written until it is
// back.
func (l *local) fsError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(l.dir); serr != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, serr)
		}
	}
	return err
}

func (l *local) open(_ context.Context, key string) (*Object, error) {
	f, err := l.root.Open(key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, err
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
	st, err := l.root.Stat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err != nil {
		return Info{}, err
	}
	return fileInfo(st), nil
}

// fileInfo tags a file by its size and modification time: a rename over it changes both.
func fileInfo(st fs.FileInfo) Info {
	return Info{Size: st.Size(), ModTime: st.ModTime(),
		ETag: fmt.Sprintf(`"%x-%x"`, st.Size(), st.ModTime().UnixNano())}
}

func (l *local) check(context.Context) error {
	st, err := os.Stat(l.dir)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case !st.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrUnavailable, l.dir)
	}
	return nil
}

func (l *local) presign(context.Context, string, time.Duration) (string, error) {
	return "", ErrNotSupported
}

// removeLeftovers deletes the temporary files put left, last modified before olderThan.
func (l *local) removeLeftovers(ctx context.Context, olderThan time.Time) (int, error) {
	// Read the directory in batches: it holds every thumbnail, possibly millions, and
	// os.ReadDir would hold and sort all their names.
	d, err := l.root.Open(".")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	removed := 0
	var errs []error
	for ctx.Err() == nil {
		entries, err := d.ReadDir(1024)
		for _, e := range entries {
			n, err := l.removeIfStale(e, olderThan)
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
func (l *local) removeIfStale(e fs.DirEntry, olderThan time.Time) (int, error) {
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
	if err := l.root.Remove(e.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
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

func (l *local) close() error { return l.root.Close() }
