package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// outputNames returns where, relative to the output folder, the thumbnail of each file goes:
// the file's path from the deepest folder all the files share, with ".jpg" added. So
// `a/x.png b/x.png x.jpg` become a/x.png.jpg, b/x.png.jpg and x.jpg.jpg, and photos of the same
// name from different folders, as cameras write them, keep apart. Distinct paths give distinct
// names; the same file given twice (or under two names: a link, a case-insensitive file system)
// would still collide, and is an error naming both, before anything is written.
func outputNames(files []string) ([]string, error) {
	abs := make([]string, len(files))
	for i, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		abs[i] = a
	}
	common := filepath.Dir(abs[0])
	for _, a := range abs[1:] {
		common = commonDir(common, filepath.Dir(a))
	}
	names := make([]string, len(files))
	for i, a := range abs {
		rel, err := filepath.Rel(common, a)
		if err != nil {
			return nil, err
		}
		names[i] = rel + ".jpg"
	}
	return names, sameInputs(files, abs)
}

// commonDir returns the deepest folder that holds both a and b, which are absolute and clean.
func commonDir(a, b string) string {
	for a != b && !strings.HasPrefix(b, strings.TrimSuffix(a, string(filepath.Separator))+string(filepath.Separator)) {
		parent := filepath.Dir(a)
		if parent == a {
			return a
		}
		a = parent
	}
	return a
}

// sameInputs reports every file given more than once, by the same path or another.
func sameInputs(files, abs []string) error {
	var errs []error
	infos := make([]os.FileInfo, len(files))
	for i := range files {
		infos[i], _ = os.Stat(abs[i]) // a file that cannot be read fails later, on its own
		for j := range i {
			if abs[i] == abs[j] || infos[i] != nil && infos[j] != nil && os.SameFile(infos[i], infos[j]) {
				errs = append(errs, fmt.Errorf("%s and %s are the same file: their thumbnails would overwrite each other", files[j], files[i]))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// outputs remembers the thumbnails written in one run, so that none overwrites another
// whatever the file system makes of their names. Safe for concurrent use.
type outputs struct {
	mu      sync.Mutex
	written []written
}

// written is a thumbnail written, and the input it was made from.
type written struct {
	src  string
	info os.FileInfo
}

// write writes data to dir/name (name may hold folders) for input src, unless that would
// replace the thumbnail of another input or src itself.
func (o *outputs) write(src, dir, name string, data []byte, write func(dir, name string, data []byte) error) error {
	dst := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if existing, err := os.Stat(dst); err == nil {
		if s, err := os.Stat(src); err == nil && os.SameFile(existing, s) {
			return errors.New("the thumbnail would overwrite the source: choose another folder with -o")
		}
		for _, w := range o.written {
			if os.SameFile(existing, w.info) {
				return fmt.Errorf("the thumbnail would overwrite that of %s (%s)", w.src, dst)
			}
		}
	}
	if err := write(filepath.Dir(dst), filepath.Base(dst), data); err != nil {
		return err
	}
	info, err := os.Stat(dst)
	if err != nil {
		return err
	}
	o.written = append(o.written, written{src, info})
	return nil
}
