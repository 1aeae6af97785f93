package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/photoproc/photoproc/imaging"
)

// cmdThumbnail makes thumbnails of local files with the daemon's imaging code and settings
// (PHOTOPROC_THUMBNAIL_SIZE, PHOTOPROC_JPEG_QUALITY, PHOTOPROC_MAX_PIXELS), for trying
// settings, debugging one photo, and timing against other tools. Each thumbnail is named
// after its file's path, ".jpg" added (outputNames), and none overwrites another.
func cmdThumbnail(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("thumbnail")
	out := fs.String("o", "", "output folder (default PHOTOPROC_THUMBS_DIR, ./thumbs)")
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
		dir = cfg.Pool.ThumbsDir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	maker, err := imaging.New(cfg.Imaging)
	if err != nil {
		return err
	}
	names, err := outputNames(files)
	if err != nil {
		return err
	}
	var written outputs
	var failed int
	for i, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := thumbnailFile(e, maker, f, dir, names[i], &written); err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", f, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(files))
	}
	return nil
}

func thumbnailFile(e *cliEnv, maker *imaging.Maker, path, dir, name string, out *outputs) error {
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
	dst := filepath.Join(dir, name)
	if err := out.write(path, dir, name, t.JPEG, imaging.WriteFile); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s -> %s %dx%d (from %s %dx%d) in %.1f ms (decode %.1f, resize %.1f, encode %.1f)\n",
		path, dst, t.Width, t.Height, t.Format, t.SourceWidth, t.SourceHeight, ms(took), ms(t.Decode), ms(t.Resize), ms(t.Encode))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
