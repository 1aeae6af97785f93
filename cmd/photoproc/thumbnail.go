package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/thumbstore"
)

// cmdThumbnail makes thumbnails of local files with the daemon's imaging code and settings
// (PHOTOPROC_THUMBNAIL_SIZES, PHOTOPROC_THUMBNAIL_FORMATS, the qualities,
// PHOTOPROC_MAX_PIXELS), for trying settings, debugging one photo, and timing against other
// tools. Like the daemon's workers, -j goroutines (one per CPU by default) each make one file's
// thumbnails at a time; the lines come out in the order of the files. The primary thumbnail is
// named after its file's path, ".jpg" added (outputNames); the others after that with
// "-<box>.<ext>" instead (thumbnailName); none overwrites another.
func cmdThumbnail(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("thumbnail")
	out := fs.String("o", "", "output folder (default PHOTOPROC_STORAGE when a directory, else PHOTOPROC_THUMBS_DIR, ./thumbs)")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "files made at once")
	cfg, err := e.config(fs, args)
	if err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 || *jobs < 1 {
		fmt.Fprintln(e.stderr, "usage: photoproc thumbnail [-o DIR] [-j N>=1] FILE...")
		return errUsage
	}
	dir := *out
	if dir == "" {
		dir = cfg.ThumbStore.Dir
		if cfg.ThumbStore.Backend() == thumbstore.BackendLocal && cfg.ThumbStore.Location != "" {
			dir = cfg.ThumbStore.Location
		}
	}
	maker, err := imaging.New(cfg.Imaging)
	if err != nil {
		return err
	}
	defer maker.Close()
	names, err := outputNames(files)
	if err != nil {
		return err
	}
	var written outputs

	results := make([]chan error, len(files))
	lines := make([]string, len(files))
	for i := range results {
		results[i] = make(chan error, 1)
	}
	var next atomic.Int64
	for range min(*jobs, len(files)) {
		go func() {
			var buf []byte // the source, reused from file to file
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				if ctx.Err() != nil {
					results[i] <- ctx.Err()
					continue
				}
				var err error
				lines[i], buf, err = thumbnailFile(ctx, maker, files[i], dir, names[i], &written, buf)
				results[i] <- err
			}
		}()
	}
	var failed int
	for i, f := range files {
		err := <-results[i]
		if ctx.Err() != nil {
			// Interrupted: the files left fail alike; say it once. Goroutines still making a
			// thumbnail finish it (their results are buffered) and find the rest cancelled.
			return ctx.Err()
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", f, err)
			failed++
			continue
		}
		fmt.Fprintln(e.stdout, lines[i])
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(files))
	}
	return nil
}

// thumbnailFile makes the thumbnail of the file at path into dir/name, reading it into buf,
// and returns the line to print and the buffer for the next file.
func thumbnailFile(ctx context.Context, maker *imaging.Maker, path, dir, name string, out *outputs, buf []byte) (string, []byte, error) {
	src, err := readFile(path, buf)
	if err != nil {
		return "", buf, err
	}
	start := time.Now()
	set, err := maker.Make(src)
	took := time.Since(start)
	if err != nil {
		return "", src, err
	}
	primary := set.Primary()
	var made []string
	for _, t := range set.Thumbnails {
		n := thumbnailName(name, t, primary)
		if err := out.write(path, dir, n, t.Data, putLocal(ctx)); err != nil {
			return "", src, err
		}
		made = append(made, fmt.Sprintf("%s %dx%d", filepath.Join(dir, n), t.Width, t.Height))
	}
	return fmt.Sprintf("%s -> %s (from %s %dx%d; thumbhash %s) in %.1f ms (decode %.1f, resize %.1f, encode %.1f)",
		path, strings.Join(made, ", "), set.SourceFormat, set.SourceWidth, set.SourceHeight,
		base64.StdEncoding.EncodeToString(set.ThumbHash), ms(took), ms(set.Decode), ms(set.Resize), ms(set.Encode)), src, nil
}

// thumbnailName is where thumbnail t of a file goes when its primary goes to name (which ends
// in ".jpg"): name itself for the primary, as the daemon's <uuid>.jpg; NAME-<box>.<ext> for
// the others, as the daemon's <uuid>-<box>.<ext>.
func thumbnailName(name string, t, primary imaging.Thumbnail) string {
	if t.Box == primary.Box && t.Format == primary.Format {
		return name
	}
	return fmt.Sprintf("%s-%d.%s", strings.TrimSuffix(name, ".jpg"), t.Box, t.Format.Ext())
}

// putLocal writes a thumbnail as the daemon's local storage does (whole or absent), always to
// a local folder: this command is for looking at thumbnails, not for filling a bucket.
func putLocal(ctx context.Context) func(dir, name string, data []byte) error {
	return func(dir, name string, data []byte) error {
		cfg := thumbstore.DefaultConfig()
		cfg.Dir = dir
		s, err := thumbstore.Open(cfg, thumbstore.Deps{})
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Put(ctx, name, data)
		return err
	}
}

// readFile reads the file at path into buf's array when it is large enough: a photo is
// megabytes, and a new buffer for each would have the garbage collector run every few files.
func readFile(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return buf, err
	}
	if size := info.Size(); int64(cap(buf)) < size+1 {
		buf = make([]byte, 0, size+1) // +1: the read that sees EOF needs no growth
	}
	buf = buf[:0]
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
