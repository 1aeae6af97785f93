package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/storage"
)

// cmdThumbnail makes thumbnails of local files with the daemon's imaging code and settings
// (PHOTOPROC_THUMBNAIL_SIZE, PHOTOPROC_JPEG_QUALITY, PHOTOPROC_MAX_PIXELS), for trying
// settings, debugging one photo, and timing against other tools.
func cmdThumbnail(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("thumbnail")
	out := fs.String("o", "", "output folder (default PHOTOPROC_STORAGE when a directory, else PHOTOPROC_THUMBS_DIR, ./thumbs)")
	cfg, err := e.config(fs, args)
	if err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, "usage: photoproc thumbnail [-o DIR] FILE...")
		return errUsage
	}
	dir := *out
	if dir == "" {
		dir = cfg.Storage.Dir
		if cfg.Storage.Backend() == storage.BackendLocal && cfg.Storage.Location != "" {
			dir = cfg.Storage.Location
		}
	}
	// The daemon's own atomic file writes, always to a local folder: this command is for
	// looking at thumbnails, not for filling a bucket.
	scfg := storage.DefaultConfig()
	scfg.Dir = dir
	thumbs, err := storage.Open(scfg, storage.Deps{})
	if err != nil {
		return err
	}
	defer thumbs.Close()
	maker, err := imaging.New(cfg.Imaging)
	if err != nil {
		return err
	}
	var failed int
	for _, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := thumbnailFile(ctx, e, maker, thumbs, f, dir); err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", f, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(files))
	}
	return nil
}

func thumbnailFile(ctx context.Context, e *cliEnv, maker *imaging.Maker, thumbs *storage.Store, path, dir string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	start := time.Now()
	t, err := maker.Make(src)
	took := time.Since(start)
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + ".jpg"
	dst := filepath.Join(dir, name)
	if same, _ := samePath(dst, path); same {
		return errors.New("the thumbnail would overwrite the source: choose another folder with -o")
	}
	if _, err := thumbs.Put(ctx, name, t.JPEG); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s -> %s %dx%d (from %s %dx%d) in %.1f ms (decode %.1f, resize %.1f, encode %.1f)\n",
		path, dst, t.Width, t.Height, t.Format, t.SourceWidth, t.SourceHeight, ms(took), ms(t.Decode), ms(t.Resize), ms(t.Encode))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func samePath(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
