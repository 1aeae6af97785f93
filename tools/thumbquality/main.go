// Command thumbquality measures how far photoproc's thumbnails in each format and quality are
// from the source, by perceptual metrics, and what they weigh: the measurement behind the
// default WebP and AVIF qualities (docs/thumbnail-formats.md).
//
//	go run ./tools/thumbquality [-sizes 320,1280] [-jpeg 90] [-webp 70,75,...] [-avif 50,...] FILE...
//
// Each file's thumbnails are made by photoproc's imaging package at every size and quality
// asked, and compared with the reference: the source fully decoded (Go's image/jpeg) and scaled
// to the thumbnail's size by bild's Lanczos filter. The metrics are butteraugli's 3-norm (lower
// is closer; about 1 is where a difference starts to show) and SSIMULACRA (lower is closer),
// from Debian's libjxl-devtools (butteraugli_main, ssimulacra_main). WebP and AVIF are decoded
// to PNG for them by dwebp and heif-convert (Debian webp and libheif-examples). The table gives,
// per format and quality, the bytes of all the thumbnails and the mean of each metric; the
// last lines name the lowest WebP and AVIF qualities whose mean butteraugli distance is at most
// that of JPEG at the first -jpeg quality. Use files without an EXIF orientation.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/anthonynsimon/bild/transform"

	"github.com/photoproc/photoproc/imaging"
)

// result is one format and quality over every file and size.
type result struct {
	format              imaging.Format
	quality             int
	bytes               int
	butteraugli, ssimul float64
	n                   int
}

func main() {
	sizes := flag.String("sizes", "320,1280", "boxes, comma-separated")
	jpegQ := flag.String("jpeg", "90,85,80", "JPEG qualities; the first is the one to match")
	webpQ := flag.String("webp", "70,75,80,85,90,95", "WebP qualities")
	avifQ := flag.String("avif", "45,50,55,60,65,70,75,80", "AVIF qualities")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: thumbquality [-sizes B,...] [-jpeg Q,...] [-webp Q,...] [-avif Q,...] FILE...")
		os.Exit(2)
	}
	if err := run(flag.Args(), ints(*sizes), map[imaging.Format][]int{
		imaging.JPEG: ints(*jpegQ), imaging.WebP: ints(*webpQ), imaging.AVIF: ints(*avifQ),
	}); err != nil {
		fmt.Fprintln(os.Stderr, "thumbquality:", err)
		os.Exit(1)
	}
}

func run(files []string, sizes []int, qualities map[imaging.Format][]int) error {
	work, err := os.MkdirTemp("", "thumbquality")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var results []*result
	byKey := map[string]*result{}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		whole, err := jpeg.Decode(bytes.NewReader(src))
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		refs := map[image.Point]string{}
		for _, f := range []imaging.Format{imaging.JPEG, imaging.WebP, imaging.AVIF} {
			for _, q := range qualities[f] {
				cfg := imaging.DefaultConfig()
				cfg.Sizes, cfg.Formats = sizes, []imaging.Format{imaging.JPEG}
				if f != imaging.JPEG {
					cfg.Formats = append(cfg.Formats, f)
				}
				cfg.Quality, cfg.WebPQuality, cfg.AVIFQuality = q, q, q
				set, err := makeSet(cfg, src)
				if err != nil {
					return fmt.Errorf("%s: %w", file, err)
				}
				key := fmt.Sprintf("%s %d", f, q)
				r := byKey[key]
				if r == nil {
					r = &result{format: f, quality: q}
					byKey[key] = r
					results = append(results, r)
				}
				for _, t := range set.Thumbnails {
					if t.Format != f {
						continue
					}
					size := image.Pt(t.Width, t.Height)
					if refs[size] == "" {
						refs[size] = filepath.Join(work, fmt.Sprintf("ref-%dx%d.png", size.X, size.Y))
						if err := writePNG(refs[size], transform.Resize(whole, size.X, size.Y, transform.Lanczos)); err != nil {
							return err
						}
					}
					dist, err := decoded(work, t)
					if err != nil {
						return err
					}
					b, s, err := metrics(refs[size], dist)
					if err != nil {
						return err
					}
					r.bytes += len(t.Data)
					r.butteraugli += b
					r.ssimul += s
					r.n++
				}
			}
		}
	}
	fmt.Printf("| format | quality | bytes (%d files × sizes %v) | butteraugli 3-norm | SSIMULACRA |\n", len(files), sizes)
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	for _, r := range results {
		fmt.Printf("| %s | %d | %d | %.3f | %.4f |\n", r.format, r.quality, r.bytes, r.butteraugli/float64(r.n), r.ssimul/float64(r.n))
	}
	target := results[0]
	for _, f := range []imaging.Format{imaging.WebP, imaging.AVIF} {
		for _, r := range results {
			if r.format == f && r.butteraugli/float64(r.n) <= target.butteraugli/float64(target.n) {
				fmt.Printf("%s %d is as close as %s %d (butteraugli %.3f ≤ %.3f) in %.0f%% of its bytes\n", f, r.quality,
					target.format, target.quality, r.butteraugli/float64(r.n), target.butteraugli/float64(target.n),
					100*float64(r.bytes)/float64(target.bytes))
				break
			}
		}
	}
	return nil
}

func makeSet(cfg imaging.Config, src []byte) (imaging.Set, error) {
	m, err := imaging.New(cfg)
	if err != nil {
		return imaging.Set{}, err
	}
	defer m.Close()
	return m.Make(src)
}

// decoded writes thumbnail t as a PNG for the metrics and returns its path.
func decoded(work string, t imaging.Thumbnail) (string, error) {
	in := filepath.Join(work, "thumb."+t.Format.Ext())
	out := filepath.Join(work, "thumb.png")
	if t.Format == imaging.JPEG {
		img, err := jpeg.Decode(bytes.NewReader(t.Data))
		if err != nil {
			return "", err
		}
		return out, writePNG(out, img)
	}
	if err := os.WriteFile(in, t.Data, 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command("dwebp", "-quiet", in, "-o", out)
	if t.Format == imaging.AVIF {
		cmd = exec.Command("heif-convert", in, out)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %v: %s", cmd.Path, err, b)
	}
	return out, nil
}

var number = regexp.MustCompile(`[0-9]+\.[0-9]+`)

// metrics returns butteraugli's 3-norm and SSIMULACRA of dist against ref.
func metrics(ref, dist string) (float64, float64, error) {
	b, err := exec.Command("butteraugli_main", ref, dist).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("butteraugli_main: %w", err)
	}
	line := string(b)
	if i := strings.Index(line, "3-norm:"); i >= 0 {
		line = line[i:]
	}
	butter, _ := strconv.ParseFloat(number.FindString(line), 64)
	s, err := exec.Command("ssimulacra_main", ref, dist).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("ssimulacra_main: %w", err)
	}
	ssim, _ := strconv.ParseFloat(number.FindString(string(s)), 64)
	return butter, ssim, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, n)
		}
	}
	return out
}
