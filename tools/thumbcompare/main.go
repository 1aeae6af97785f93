// Command thumbcompare measures, side by side in one run, what photoproc, Pillow's
// Image.thumbnail() (the Python service photoproc replaces) and libvips' vipsthumbnail spend
// to make the same thumbnails, and how close each comes to a reference.
//
//	go run ./tools/thumbcompare [-n 20] [-runs 5] [-photoproc bin/photoproc] [-24mp] FILE...
//
// CPU per thumbnail: each tool makes thumbnails of n copies of a file in one process, and of
// one copy; the difference of the two processes' CPU time (user + system), divided by n-1, is
// the cost of one thumbnail without the cost of starting the tool (Python's start-up alone
// is ~30 ms). The median of -runs such pairs is reported, with photoproc's ratio to each of
// the others. Copies have distinct names so that no tool can serve one from a cache. Every tool
// makes one thumbnail at a time on one thread: photoproc with -j 1, vipsthumbnail with
// VIPS_CONCURRENCY=1, Pillow as it is.
//
// -24mp adds the repository's 12 MP photo enlarged to 24 MP (6000x4000; the corpus has none
// that large), written into the temporary folder.
//
// -p3 adds the 12 MP photo with a Display P3 profile embedded, as iPhones tag theirs, for what
// converting a profile costs: photoproc converts to sRGB; vipsthumbnail 8.14 keeps the profile
// in its thumbnail instead, and Pillow drops it. Its pixels are the untagged photo's, so its
// quality columns measure photoproc's colour change against the untagged photo's reference,
// not an error.
//
// -progressive adds the 12 MP photo saved progressive by `jpegtran -progressive` (lossless: the
// same pixels), as mozjpeg and many web tools write JPEGs; -heic adds it encoded as HEIC by
// heif-enc at its default quality, plainly, with the 320x240 thumbnail item `heif-enc -t 320`
// makes (nearest neighbour), and with a 320x240 item scaled as phones scale theirs (Lanczos, by
// vipsthumbnail) (Debian libjpeg-turbo-progs, libheif-examples).
// Pillow 9.4 does not read HEIC, so those are measured against vipsthumbnail alone; their
// reference is the JPEG they were made from, so their error includes HEIC's own loss.
//
// -set FILE then measures the set 320, 640 and 1280 in JPEG and WebP made of FILE from one
// decode, by photoproc and by Pillow (set.go), and photoproc's set in JPEG and AVIF: CPU per
// photo, and each file's bytes and error. It needs dwebp and heif-convert (Debian webp,
// libheif-examples) to decode WebP and AVIF as browsers do.
//
// Quality: each tool's thumbnail is compared with a reference made from the fully decoded
// source (Go's image/jpeg) by bild's Lanczos filter, in mean absolute error per channel (0–255)
// and PSNR. Use files without an EXIF orientation: Pillow's thumbnail() does not apply it.
//
// Needs python3 with PIL (Debian python3-pil) and vipsthumbnail (Debian libvips-tools).
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/anthonynsimon/bild/transform"

	"github.com/photoproc/photoproc/imaging/heiftest"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/tools/internal/cpucost"
)

const pillowScript = `
import sys
from PIL import Image
out = sys.argv[1]
for i, f in enumerate(sys.argv[2:]):
    im = Image.open(f)
    im.thumbnail((320, 320))
    im.save("%s/%d.jpg" % (out, i), quality=90)
`

type tool struct {
	name string
	// cmd returns the command that makes thumbnails of files into dir.
	cmd func(dir string, files []string) *exec.Cmd
}

func main() {
	n := flag.Int("n", 20, "thumbnails per measured process")
	runs := flag.Int("runs", 5, "measured pairs of processes per tool and file; the median is reported")
	bin := flag.String("photoproc", "bin/photoproc", "the photoproc binary to measure")
	python := flag.String("python", "/usr/bin/python3", "a Python with PIL (Debian: python3-pil)")
	big := flag.Bool("24mp", false, "also measure testdata/photos/camera-4032x3024.jpg enlarged to 24 MP")
	p3 := flag.Bool("p3", false, "also measure testdata/photos/camera-4032x3024.jpg tagged with a Display P3 profile")
	prog := flag.Bool("progressive", false, "also measure testdata/photos/camera-4032x3024.jpg saved progressive by jpegtran")
	heic := flag.Bool("heic", false, "also measure testdata/photos/camera-4032x3024.jpg as HEIC by heif-enc, without and with a 320 thumbnail item")
	set := flag.String("set", "", "also measure the set 320,640,1280 × JPEG, WebP (and AVIF) made of this photo against Pillow")
	flag.Parse()
	if flag.NArg() == 0 || *n < 2 {
		fmt.Fprintln(os.Stderr, "usage: thumbcompare [-n N>=2] [-runs R] [-photoproc BIN] FILE...")
		os.Exit(2)
	}
	tools := []tool{
		{"photoproc thumbnail", func(dir string, files []string) *exec.Cmd {
			return exec.Command(*bin, append([]string{"thumbnail", "-j", "1", "-o", dir}, files...)...)
		}},
		{"Pillow thumbnail()", func(dir string, files []string) *exec.Cmd {
			return exec.Command(*python, append([]string{"-c", pillowScript, dir}, files...)...)
		}},
		{"vipsthumbnail", func(dir string, files []string) *exec.Cmd {
			c := exec.Command("vipsthumbnail", append([]string{"--size", "320x320", "-o", dir + "/%s.jpg[Q=90]"}, files...)...)
			c.Env = append(os.Environ(), "VIPS_CONCURRENCY=1")
			return c
		}},
	}
	if err := run(tools, flag.Args(), *n, *runs, extras{*big, *p3, *prog, *heic}); err != nil {
		fmt.Fprintln(os.Stderr, "thumbcompare:", err)
		os.Exit(1)
	}
	if *set != "" {
		if err := runSet(setTools(*bin, *python), *set, *n, *runs); err != nil {
			fmt.Fprintln(os.Stderr, "thumbcompare:", err)
			os.Exit(1)
		}
	}
}

// extras says which files made from the 12 MP test photo are measured besides the ones named.
type extras struct{ big, p3, progressive, heic bool }

func run(tools []tool, files []string, n, runs int, x extras) error {
	work, err := os.MkdirTemp("", "thumbcompare")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	big, p3 := x.big, x.p3
	// sources maps a file made here in another coding to the JPEG its reference is made of.
	sources := map[string]string{}
	if x.progressive {
		file, err := progressive(work)
		if err != nil {
			return err
		}
		files = append(files, file)
	}
	if x.heic {
		for _, item := range []string{"", "heif-enc", "lanczos"} {
			file, err := heic(work, item)
			if err != nil {
				return err
			}
			files = append(files, file)
			sources[file] = filepath.Join("testdata", "photos", "camera-4032x3024.jpg")
		}
	}
	if big {
		file, err := enlarged(work)
		if err != nil {
			return err
		}
		files = append(files, file)
	}
	if p3 {
		file, err := displayP3(work)
		if err != nil {
			return err
		}
		files = append(files, file)
	}
	fmt.Printf("| photo | tool | CPU ms per thumbnail (median of %d) | photoproc ÷ this | size | bytes | MAE RGB | MAE luma | PSNR dB |\n", runs)
	fmt.Println("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
	all := tools
	for _, file := range files {
		refFile := file
		tools := all
		if src, ok := sources[file]; ok {
			refFile = src
			tools = slices.DeleteFunc(slices.Clone(all), func(t tool) bool { return t.name == "Pillow thumbnail()" })
		}
		ref, err := reference(refFile)
		if err != nil {
			return err
		}
		copies, err := cpucost.Copies(file, work, n)
		if err != nil {
			return err
		}
		// Rounds go through every tool in turn, so that whatever else the machine does at the
		// time weighs on all of them alike.
		per := make([][]time.Duration, len(tools))
		outs := make([]string, len(tools))
		for range runs {
			for i, t := range tools {
				cpu, out, err := measure(t, work, copies)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", t.name, file, err)
				}
				per[i], outs[i] = append(per[i], cpu), out
			}
		}
		medians := make([]time.Duration, len(tools))
		for i := range tools {
			slices.Sort(per[i])
			medians[i] = per[i][len(per[i])/2]
		}
		for i, t := range tools {
			cpu, out := medians[i], outs[i]
			got, err := decodeFile(out)
			if err != nil {
				return fmt.Errorf("%s output: %w", t.name, err)
			}
			st, err := os.Stat(out)
			if err != nil {
				return err
			}
			mae, maeY, psnr := compare(got, ref)
			// The first tool is photoproc.
			fmt.Printf("| %s | %s | %.1f | %.2f | %dx%d | %d | %.2f | %.2f | %.1f |\n", filepath.Base(file), t.name,
				ms(cpu), float64(medians[0])/float64(cpu), got.Bounds().Dx(), got.Bounds().Dy(), st.Size(), mae, maeY, psnr)
		}
	}
	return nil
}

// measure returns the CPU time per thumbnail of t, and the path of one thumbnail it made.
func measure(t tool, work string, copies []string) (time.Duration, string, error) {
	cpu, made, err := cpucost.PerItem(work, copies, t.cmd)
	if err != nil {
		return 0, "", err
	}
	if len(made) != len(copies) {
		return 0, "", fmt.Errorf("made %d thumbnails of %d files", len(made), len(copies))
	}
	return cpu, made[0], nil
}

// progressive writes the 12 MP test photo saved progressive by jpegtran into work and returns
// its path.
func progressive(work string) (string, error) {
	file := filepath.Join(work, "camera-4032x3024-progressive.jpg")
	out, err := exec.Command("jpegtran", "-progressive", "-copy", "all", "-outfile", file,
		filepath.Join("testdata", "photos", "camera-4032x3024.jpg")).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("jpegtran (Debian libjpeg-turbo-progs): %v: %s", err, out)
	}
	return file, nil
}

// heic writes the 12 MP test photo encoded by heif-enc at its default quality into work and
// returns its path: with no thumbnail item (item ""), with the 320x240 one `heif-enc -t 320`
// makes ("heif-enc": libheif 1.15 scales it by nearest neighbour, so it is aliased), or with a
// 320x240 item scaled as phones scale theirs ("lanczos": vipsthumbnail's Lanczos-3 downscale,
// encoded by heif-enc and added by heiftest, as imaging's tests add theirs).
func heic(work, item string) (string, error) {
	photo := filepath.Join("testdata", "photos", "camera-4032x3024.jpg")
	encode := func(file string, args ...string) error {
		out, err := exec.Command("heif-enc", append(args, "-o", file)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("heif-enc (Debian libheif-examples): %v: %s", err, out)
		}
		return nil
	}
	switch item {
	case "":
		file := filepath.Join(work, "camera-4032x3024.heic")
		return file, encode(file, photo)
	case "heif-enc":
		file := filepath.Join(work, "camera-4032x3024-thumb320.heic")
		return file, encode(file, "-t", "320", photo)
	}
	small := filepath.Join(work, "lanczos320.jpg")
	if out, err := exec.Command("vipsthumbnail", "--size", "320x320", "-o", small+"[Q=95]", photo).CombinedOutput(); err != nil {
		return "", fmt.Errorf("vipsthumbnail: %v: %s", err, out)
	}
	var parts []*heiftest.File
	for i, src := range []string{photo, small} {
		coded := filepath.Join(work, fmt.Sprintf("part%d.heic", i))
		if err := encode(coded, src); err != nil {
			return "", err
		}
		data, err := os.ReadFile(coded)
		if err != nil {
			return "", err
		}
		f, err := heiftest.Read(data)
		if err != nil {
			return "", fmt.Errorf("%s: %w", coded, err)
		}
		parts = append(parts, f)
	}
	parts[0].AddThumbnail(parts[1])
	file := filepath.Join(work, "camera-4032x3024-lanczos320.heic")
	return file, os.WriteFile(file, parts[0].Bytes(), 0o644)
}

// enlarged writes the 12 MP test photo enlarged to 24 MP into work and returns its path.
func enlarged(work string) (string, error) {
	src, err := os.ReadFile(filepath.Join("testdata", "photos", "camera-4032x3024.jpg"))
	if err != nil {
		return "", fmt.Errorf("%w (run from the repository root)", err)
	}
	big, err := testphotos.Enlarge(src, 6000, 4000)
	if err != nil {
		return "", err
	}
	file := filepath.Join(work, "camera-6000x4000-enlarged.jpg")
	return file, os.WriteFile(file, big, 0o644)
}

// displayP3 writes the 12 MP test photo with imaging's Display P3 test profile in an APP2
// segment into work, and returns its path. The pixels stay as they are: converting costs the
// same whatever they are.
func displayP3(work string) (string, error) {
	src, err := os.ReadFile(filepath.Join("testdata", "photos", "camera-4032x3024.jpg"))
	if err != nil {
		return "", fmt.Errorf("%w (run from the repository root)", err)
	}
	icc, err := os.ReadFile(filepath.Join("imaging", "testdata", "icc", "display-p3.icc"))
	if err != nil {
		return "", err
	}
	seg := append([]byte("\xff\xe2\x00\x00ICC_PROFILE\x00\x01\x01"), icc...)
	binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)-2))
	file := filepath.Join(work, "camera-4032x3024-p3.jpg")
	return file, os.WriteFile(file, slices.Concat(src[:2], seg, src[2:]), 0o644)
}

// reference is the source fully decoded and fitted into 320x320 with Lanczos.
func reference(file string) (image.Image, error) {
	src, err := decodeFile(file)
	if err != nil {
		return nil, err
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	if w >= h {
		h = max(1, (h*320+w/2)/w)
		w = 320
	} else {
		w = max(1, (w*320+h/2)/h)
		h = 320
	}
	return transform.Resize(src, w, h, transform.Lanczos), nil
}

func decodeFile(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return jpeg.Decode(bytes.NewReader(data))
}

// compare returns the mean absolute error per channel (R, G, B; 0–255) of a against b, the same
// for luma alone (Rec. 601 Y, which chroma subsampling does not touch), and the PSNR in dB over
// R, G and B; NaN for all when the sizes differ.
func compare(a, b image.Image) (float64, float64, float64) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return math.NaN(), math.NaN(), math.NaN()
	}
	var abs, absY, sq float64
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	for y := range h {
		for x := range w {
			r1, g1, b1, _ := a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y).RGBA()
			dr, dg, db := float64(r1>>8)-float64(r2>>8), float64(g1>>8)-float64(g2>>8), float64(b1>>8)-float64(b2>>8)
			for _, d := range []float64{dr, dg, db} {
				abs += math.Abs(d)
				sq += d * d
			}
			absY += math.Abs(0.299*dr + 0.587*dg + 0.114*db)
		}
	}
	n := float64(3 * w * h)
	return abs / n, absY / float64(w*h), 10 * math.Log10(255*255/(sq/n))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
