package imaging

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TempPrefix starts the names of WriteFile's temporary files. One left by a crash is garbage;
// RemoveTemp deletes them.
const TempPrefix = ".tmp-"

// WriteFile writes data to dir/name atomically: to a temporary file in dir, synced, renamed
// over name, then dir synced. Readers see the old file or the new one, never a part; after a
// crash name holds a complete file or none, and only a TempPrefix file may be left over.
// Concurrent writers of one name leave one of their files, whole. The file gets mode 0644.
func WriteFile(dir, name string, data []byte) (err error) {
	if !isPlainName(name) {
		return fmt.Errorf("write %q: not a plain file name", name)
	}
	f, err := os.CreateTemp(dir, TempPrefix+name+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := writeSynced(f, data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	// The rename is durable only once the directory entry is.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync directory: %w", name, err)
	}
	return nil
}

func isPlainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.HasPrefix(name, TempPrefix) &&
		filepath.Base(name) == name && !strings.ContainsAny(name, `/\`)
}

// writeSynced writes data to f, makes it readable by others (CreateTemp makes it 0600), syncs
// it and closes it.
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

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// RemoveTemp deletes WriteFile's temporary files in dir last modified before cutoff, and
// returns how many it deleted. Pass a cutoff in the past (say an hour ago) so that files other
// processes are writing right now are left alone.
func RemoveTemp(dir string, cutoff time.Time) (int, error) {
	// Read the directory in batches: it holds every thumbnail, possibly millions, and
	// os.ReadDir would hold and sort all their names.
	d, err := os.Open(dir)
	if err != nil {
		return 0, fmt.Errorf("remove temporary files: %w", err)
	}
	defer d.Close()
	removed := 0
	var errs []error
	for {
		entries, err := d.ReadDir(1024)
		for _, e := range entries {
			n, err := removeIfStale(dir, e, cutoff)
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
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("remove temporary files: %w", err)
	}
	return removed, nil
}

// removeIfStale removes e, in dir, if it is one of WriteFile's temporary files last modified
// before cutoff, and returns how many files it removed (0 or 1).
func removeIfStale(dir string, e os.DirEntry, cutoff time.Time) (int, error) {
	if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), TempPrefix) {
		return 0, nil
	}
	info, err := e.Info()
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil // renamed or removed meanwhile
	}
	if err != nil {
		return 0, err
	}
	if !info.ModTime().Before(cutoff) {
		return 0, nil
	}
	if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	return 1, nil
}
