package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"runtime"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/photoproc/photoproc/internal/crafted"
)

// TestDecodeCost checks the cost model on the structures it must charge in full: whole-picture
// coefficients for progressive and multi-scan JPEGs, the full-size picture where image/jpeg
// decodes, interlaced and 16-bit PNG, and TIFF's strip buffer.
func TestDecodeCost(t *testing.T) {
	t.Parallel()
	yuv420 := []jpegComponent{{1, 2, 2}, {2, 1, 1}, {3, 1, 1}}
	yuv444 := []jpegComponent{{1, 1, 1}, {2, 1, 1}, {3, 1, 1}}
	cmyk := []jpegComponent{{1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 1, 1}}
	mp48, mp12 := image.Pt(8064, 6048), image.Pt(4032, 3024)
	thumb := image.Pt(320, 240)
	const mb = 1_000_000
	// Blocks of 8064x6048: 1008x756 of luma, 504x378 of each chroma at 4:2:0.
	blocks420 := int64(1008*756 + 2*504*378)
	blocks444 := int64(3 * 1008 * 756)
	px48 := int64(8064 * 6048)
	for _, tc := range []struct {
		name     string
		j        jpegInfo
		size     image.Point
		min, max int64 // turbo build; std build
		stdMin   int64
	}{
		{"48 MP progressive 4:2:0", jpegInfo{sof: 0xc2, components: yuv420, firstScan: 3}, mp48,
			blocks420 * 128, blocks420*128 + 10*mb, blocks420*(64+256) + px48*(rgbaBytes+resizeBytes)},
		{"48 MP progressive 4:4:4", jpegInfo{sof: 0xc2, components: yuv444, firstScan: 3}, mp48,
			blocks444 * 128, blocks444*128 + 10*mb, blocks444*(64+256) + px48*(rgbaBytes+resizeBytes)},
		{"48 MP sequential, one scan a component", jpegInfo{sof: 0xc0, components: yuv420, firstScan: 1}, mp48,
			blocks420 * 128, blocks420*128 + 10*mb, blocks420*64 + px48*(rgbaBytes+resizeBytes)},
		{"48 MP baseline", jpegInfo{sof: 0xc0, components: yuv420, firstScan: 3}, mp48,
			0, 10 * mb, blocks420*64 + px48*(rgbaBytes+resizeBytes)},
		{"12 MP baseline CMYK", jpegInfo{sof: 0xc0, components: cmyk, firstScan: 4}, mp12,
			0, 5 * mb, int64(4*504*378*64) + int64(4032*3024)*(4+rgbaBytes+resizeBytes)},
		{"no frame header seen", jpegInfo{}, mp12,
			int64(4*504*378) * 128, int64(4*504*378)*128 + 5*mb, int64(4*504*378)*(64+256) + int64(4032*3024)*(4+rgbaBytes+resizeBytes)},
	} {
		got := decodeCost(formatJPEG, nil, &tc.j, tc.size, thumb)
		if jpegDirectRGBA && (got < tc.min || got > tc.max) || !jpegDirectRGBA && got < tc.stdMin {
			t.Errorf("%s: cost %d MB, want %d..%d MB with libjpeg-turbo, ≥ %d MB with image/jpeg",
				tc.name, got/mb, tc.min/mb, tc.max/mb, tc.stdMin/mb)
		}
	}

	size := image.Pt(1000, 800)
	px := int64(1000 * 800)
	for _, tc := range []struct {
		name string
		f    format
		src  []byte
		min  int64
	}{
		{"8-bit PNG", formatPNG, encodePNG(t, quadrants(4, 4, upright)), px * (4 + rgbaBytes + resizeBytes)},
		{"16-bit interlaced PNG", formatPNG, pngHeader(16, 6, 1), px * (2*8 + rgbaBytes + resizeBytes)},
		{"16-bit TIFF, one deflate strip", formatTIFF, crafted.DeflateTIFF16(1000, 800),
			px*(8+rgbaBytes+resizeBytes) + 4*8*px},
		{"8-bit TIFF, uncompressed", formatTIFF, encodeTIFF(t, quadrants(1000, 800, upright)), px * (4 + rgbaBytes + resizeBytes + 8)},
	} {
		if got := decodeCost(tc.f, tc.src, nil, size, image.Pt(320, 256)); got < tc.min {
			t.Errorf("%s: cost %d, want ≥ %d", tc.name, got, tc.min)
		}
	}
}

// pngHeader is the start of a PNG: signature and IHDR (size 1x1, which the cost ignores).
func pngHeader(depth, colourType, interlace byte) []byte {
	p := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	p = append(p, "IHDR"...)
	p = binary.BigEndian.AppendUint32(p, 1)
	p = binary.BigEndian.AppendUint32(p, 1)
	return append(p, depth, colourType, 0, 0, interlace, 0, 0, 0, 0)
}

// TestTIFFLayout reads what the TIFF cost depends on.
func TestTIFFLayout(t *testing.T) {
	t.Parallel()
	var strips bytes.Buffer
	if err := tiff.Encode(&strips, quadrants(40, 30, upright), nil); err != nil {
		t.Fatal(err)
	}
	size := image.Pt(40, 30)
	for _, tc := range []struct {
		name string
		src  []byte
		want tiffLayout
	}{
		{"16-bit deflate", crafted.DeflateTIFF16(40, 30), tiffLayout{16, true, 40, 30}},
		{"8-bit uncompressed", strips.Bytes(), tiffLayout{8, false, 40, 30}},
		{"orient6.tif (ImageMagick, 8 bits, no compression)", readTestdata(t, "orient6.tif"), tiffLayout{8, false, 40, 30}},
		{"not a TIFF: the worst", []byte("II*\x00\xff\xff\xff\xff"), tiffLayout{16, true, 40, 30}},
	} {
		if got := readTIFFLayout(tc.src, size); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestDecodeCostBoundsGoAllocations decodes and resizes sources of every kind a Go decoder
// handles and checks that everything allocated meanwhile, garbage included, is within the
// source's cost and the decoder's fixed state. It does not call t.Parallel, so that no other test allocates meanwhile (the
// parallel tests wait until the sequential ones are done). libjpeg-turbo's memory is C memory,
// bounded by e2e's peak RSS test instead.
func TestDecodeCostBoundsGoAllocations(t *testing.T) {
	big := quadrants(1200, 900, upright)
	var tiffUncompressed, gray16 bytes.Buffer
	if err := tiff.Encode(&tiffUncompressed, big, nil); err != nil {
		t.Fatal(err)
	}
	g16 := image.NewGray16(big.Bounds())
	for i := range g16.Pix {
		g16.Pix[i] = byte(i)
	}
	if err := tiff.Encode(&gray16, g16, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	rgba64 := image.NewNRGBA64(big.Bounds())
	for y := range 900 {
		for x := range 1200 {
			rgba64.Set(x, y, color.NRGBA64{uint16(x * 50), uint16(y * 70), 0x8000, 0xc000})
		}
	}
	sources := map[string][]byte{
		"progressive JPEG 4:4:4": crafted.ProgressiveJPEG(big, crafted.JPEGOptions{Subsampling: "4:4:4", DCOnly: true}),
		"progressive JPEG 4:2:0": crafted.ProgressiveJPEG(big, crafted.JPEGOptions{}),
		"baseline JPEG":          encodeJPEGTest(t, big),
		"16-bit PNG":             encodePNG(t, rgba64),
		"paletted PNG":           encodePNG(t, paletted(big, false)),
		"GIF":                    encodeGIF(t, paletted(big, true)),
		"BMP":                    encodeBMP(t, big),
		"16-bit deflate TIFF":    crafted.DeflateTIFF16(1200, 900),
		"16-bit grey TIFF":       gray16.Bytes(),
		"uncompressed TIFF":      tiffUncompressed.Bytes(),
		"lossless WebP":          readTestdata(t, "lossless-alpha.webp"),
		"lossy WebP":             readTestdata(t, "lossy-alpha.webp"),
	}
	m := newMaker(t, nil)
	for name, src := range sources {
		f, err := sniff(src)
		if err != nil {
			t.Fatal(err)
		}
		var j *jpegInfo
		if f == formatJPEG {
			info := inspectJPEG(src)
			j = &info
		}
		hdr, err := readHeader(f, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stored := image.Pt(hdr.Width, hdr.Height)
		need := image.Pt(fit(stored.X, stored.Y, 320))
		cost := decodeCost(f, src, j, stored, need)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w := &worker{} // a new worker allocates every buffer, as the first photo does
		pixels, opaque, err := decodePixels(context.Background(), &w.codec, f, src, stored, need)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_ = w.resize(pixels, need.X, need.Y, opaque)
		w.codec.close()
		runtime.ReadMemStats(&after)
		used := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%s %v: allocated %.1f MB, charged %.1f MB", name, stored, float64(used)/1e6, float64(cost)/1e6)
		const fixedState = 256 << 10
		limit := cost + fixedState
		if raceEnabled && f == formatTIFF {
			// With the race detector, bytes.Buffer's growth allocates each new buffer twice
			// (the make and the append that copies into it are not fused), which doubles the
			// strip buffer's garbage: up to 4 × 8 bytes a pixel more.
			limit += 4 * 8 * int64(stored.X) * int64(stored.Y)
		}
		if used > limit {
			t.Errorf("%s: allocated %d bytes, more than its cost %d", name, used, cost)
		}
	}
	_ = m
}

// FuzzDecodeCost: the cost model reads headers of outside input (PNG's IHDR, TIFF's IFD0,
// JPEG's markers): on any bytes it must not panic, and never charge less than the RGBA copy
// and resize of the picture the header announced.
func FuzzDecodeCost(f *testing.F) {
	f.Add(byte(0), []byte("II*\x00\x08\x00\x00\x00\x01\x00\x16\x01\x03\x00\x01\x00\x00\x00\x08\x00"))
	f.Add(byte(1), crafted.DeflateTIFF16(8, 8))
	f.Add(byte(2), pngHeader(16, 6, 1))
	f.Add(byte(3), progressive(f, crafted.JPEGOptions{}))
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		fmts := []format{formatTIFF, formatTIFF, formatPNG, formatJPEG, formatGIF, formatBMP, formatWebP}
		fm := fmts[int(which)%len(fmts)]
		var j *jpegInfo
		if fm == formatJPEG {
			info := inspectJPEG(data)
			j = &info
		}
		size := image.Pt(300, 200)
		c := decodeCost(fm, data, j, size, image.Pt(30, 20))
		if fm != formatJPEG && c < 300*200*(rgbaBytes+resizeBytes) || c <= 0 {
			t.Fatalf("%s: cost %d", fm, c)
		}
	})
}
