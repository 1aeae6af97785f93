package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anthonynsimon/bild/transform"

	"github.com/photoproc/photoproc/tools/internal/cpucost"
)

// The set: several sizes in several formats from one decode, what a web page's srcset needs.
// Pillow makes it the way a Python service would: open, draft to the largest box (its DCT
// scaling), then per size a LANCZOS resize of the decoded picture, saved as JPEG at quality 90
// and WebP at quality 80, method 4 (Pillow's and cwebp's default effort).
var setBoxes = []int{320, 640, 1280}

const pillowSetScript = `
import sys
from PIL import Image
out, boxes, formats = sys.argv[1], [int(b) for b in sys.argv[2].split(",")], sys.argv[3].split(",")
for i, f in enumerate(sys.argv[4:]):
    im = Image.open(f)
    w, h = im.size
    def fit(box):
        if w <= box and h <= box:
            return w, h
        if w >= h:
            return box, max(1, round(h * box / w))
        return max(1, round(w * box / h)), box
    im.draft("RGB", fit(max(boxes)))
    im = im.convert("RGB")
    for box in boxes:
        small = im.resize(fit(box), Image.LANCZOS)
        if "jpeg" in formats:
            small.save("%s/p%03d-%d.jpg" % (out, i, box), quality=90)
        if "webp" in formats:
            small.save("%s/p%03d-%d.webp" % (out, i, box), quality=80, method=4)
`

// setTool makes the set of thumbnails of files in formats into dir; webpQ, when not 0, is the
// WebP quality (photoproc's default otherwise).
type setTool struct {
	name string
	cmd  func(dir string, formats []string, webpQ int, files []string) *exec.Cmd
}

func setTools(bin, python string) []setTool {
	boxes := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(setBoxes)), ","), "[]")
	return []setTool{
		{"photoproc thumbnail", func(dir string, formats []string, webpQ int, files []string) *exec.Cmd {
			c := exec.Command(bin, append([]string{"thumbnail", "-j", "1", "-o", dir}, files...)...)
			c.Env = append(os.Environ(), "PHOTOPROC_THUMBNAIL_SIZES="+boxes, "PHOTOPROC_THUMBNAIL_FORMATS="+strings.Join(formats, ","))
			if webpQ != 0 {
				c.Env = append(c.Env, fmt.Sprintf("PHOTOPROC_WEBP_QUALITY=%d", webpQ))
			}
			return c
		}},
		{"Pillow", func(dir string, formats []string, _ int, files []string) *exec.Cmd {
			return exec.Command(python, append([]string{"-c", pillowSetScript, dir, boxes, strings.Join(formats, ",")}, files...)...)
		}},
	}
}

// runSet measures the set from file: each tool's CPU per photo for JPEG alone, and JPEG and
// WebP at Pillow's WebP quality (80); then photoproc's at its default WebP quality, and with
// AVIF instead; then each file's bytes and error against a Lanczos downscale of the whole
// source.
func runSet(tools []setTool, file string, n, runs int) error {
	work, err := os.MkdirTemp("", "thumbcompare-set")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	copies, err := cpucost.Copies(file, work, n)
	if err != nil {
		return err
	}
	src, err := decodeFile(file)
	if err != nil {
		return err
	}
	type variant struct {
		tool    setTool
		formats []string
		webpQ   int
	}
	variants := []variant{
		{tools[0], []string{"jpeg"}, 0}, {tools[1], []string{"jpeg"}, 0},
		{tools[0], []string{"jpeg", "webp"}, 80}, {tools[1], []string{"jpeg", "webp"}, 80},
		{tools[0], []string{"jpeg", "webp"}, 0}, {tools[0], []string{"jpeg", "avif"}, 0},
	}
	per := make([][]time.Duration, len(variants))
	made := make([][]string, len(variants))
	for range runs {
		for i, v := range variants {
			cpu, files, err := cpucost.PerItem(work, copies, func(dir string, files []string) *exec.Cmd { return v.tool.cmd(dir, v.formats, v.webpQ, files) })
			if err != nil {
				return fmt.Errorf("%s %v: %w", v.tool.name, v.formats, err)
			}
			per[i], made[i] = append(per[i], cpu), firstCopy(files)
		}
	}
	medians := make([]time.Duration, len(variants))
	for i := range variants {
		slices.Sort(per[i])
		medians[i] = per[i][len(per[i])/2]
	}
	fmt.Printf("\nThe set %v × formats from %s, CPU ms per photo (median of %d):\n\n", setBoxes, filepath.Base(file), runs)
	fmt.Println("| formats | photoproc | Pillow | photoproc ÷ Pillow |")
	fmt.Println("| --- | ---: | ---: | ---: |")
	for i := 0; i < 4; i += 2 {
		fmt.Printf("| %s (WebP at 80) | %.1f | %.1f | %.2f |\n", strings.Join(variants[i].formats, ", "), ms(medians[i]), ms(medians[i+1]),
			float64(medians[i])/float64(medians[i+1]))
	}
	fmt.Printf("| jpeg, webp (photoproc's default WebP quality) | %.1f | | %.2f |\n", ms(medians[4]), float64(medians[4])/float64(medians[3]))
	fmt.Printf("| jpeg, avif | %.1f | | |\n", ms(medians[5]))
	fmt.Println("\n| size | format | photoproc bytes | photoproc MAE | Pillow bytes | Pillow MAE |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | ---: |")
	refs := map[image.Point]image.Image{}
	rows := map[string][4]string{}
	var keys []string
	// photoproc's files at WebP 80, then Pillow's, then photoproc's AVIF.
	avif := slices.DeleteFunc(slices.Clone(made[5]), func(f string) bool { return filepath.Ext(f) != ".avif" })
	for i, files := range [][]string{append(slices.Clone(made[2]), avif...), made[3]} {
		for _, f := range files {
			img, err := decodeAny(f)
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			size := img.Bounds().Size()
			if refs[size] == nil {
				refs[size] = transform.Resize(src, size.X, size.Y, transform.Lanczos)
			}
			mae, _, _ := compare(img, refs[size])
			st, err := os.Stat(f)
			if err != nil {
				return err
			}
			key := fmt.Sprintf("%dx%d | %s", size.X, size.Y, strings.TrimPrefix(filepath.Ext(f), "."))
			r, ok := rows[key]
			if !ok {
				keys = append(keys, key)
			}
			col := 0
			if i == 1 {
				col = 2
			}
			r[col], r[col+1] = fmt.Sprint(st.Size()), fmt.Sprintf("%.2f", mae)
			rows[key] = r
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		r := rows[k]
		fmt.Printf("| %s | %s | %s | %s | %s |\n", k, r[0], r[1], r[2], r[3])
	}
	return nil
}

// firstCopy keeps the files made of the first copy, p000.
func firstCopy(files []string) []string {
	var out []string
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "p000") {
			out = append(out, f)
		}
	}
	return out
}

// decodeAny decodes a JPEG, or a WebP or AVIF through the reference decoders' command-line
// tools (dwebp, heif-convert), which convert their YCbCr as browsers do.
func decodeAny(path string) (image.Image, error) {
	var cmd *exec.Cmd
	out := path + ".png"
	switch filepath.Ext(path) {
	case ".webp":
		cmd = exec.Command("dwebp", "-quiet", path, "-o", out)
	case ".avif":
		cmd = exec.Command("heif-convert", path, out)
	default:
		return decodeFile(path)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", cmd.Path, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(data))
}
