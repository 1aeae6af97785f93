package imaging

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestMakeRefusalsNameTheFeature gives Make well-formed files of kinds its decoders do not
// decode, written by ImageMagick (testdata/README.md) or built here, and checks each is refused
// as unsupported, not corrupt, naming what it uses.
func TestMakeRefusalsNameTheFeature(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  []byte
		msg  string
	}{
		{"ImageMagick RLE8 BMP", readTestdata(t, "rle8.bmp"), "an RLE8-compressed BMP"},
		{"ImageMagick OS/2 BMP", readTestdata(t, "os2.bmp"), "an OS/2 1.x BMP (12-byte header)"},
		{"ImageMagick RGB565 BMP", readTestdata(t, "rgb565.bmp"), "a 16-bit bitfields BMP (masks R 0xf800 G 0x7e0 B 0x1f)"},
		{"RLE4 BMP", bmpOf(40, 4, 2, nil), "an RLE4-compressed BMP"},
		{"bitfields in a 40-byte header", bmpOf(40, 32, 3, []uint32{0xff, 0xff00, 0xff0000}), "a 32-bit bitfields BMP (masks R 0xff G 0xff00 B 0xff0000)"},
		{"16-bit BMP", bmpOf(40, 16, 0, nil), "a 16-bit BMP"},
		{"OS/2 2.x BMP", bmpOf(64, 24, 0, nil), "an OS/2 2.x BMP (64-byte header)"},
		{"odd header size", bmpOf(20, 24, 0, nil), "an OS/2 2.x BMP (20-byte header)"},
		{"unknown header size", bmpOf(200, 24, 0, nil), "a BMP with a 200-byte header"},
		{"BMP holding a PNG", bmpOf(124, 0, 5, nil), "a BMP holding a PNG"},
		{"ImageMagick planar TIFF", readTestdata(t, "planar.tif"), "a planar TIFF"},
		{"ImageMagick CMYK TIFF", readTestdata(t, "cmyk.tif"), "the CMYK (separated) colour model"},
		{"ImageMagick Lab TIFF", readTestdata(t, "lab.tif"), "the CIE L*a*b* colour model"},
		{"ImageMagick YCbCr TIFF", readTestdata(t, "ycbcr.tif"), "the YCbCr colour model"},
		{"ImageMagick JPEG-in-TIFF", readTestdata(t, "jpeg-in.tif"), "compressed with JPEG, that is JPEG-in-TIFF (compression 7)"},
		{"ImageMagick LZMA TIFF", readTestdata(t, "lzma.tif"), "compressed with LZMA (compression 34925)"},
		{"ImageMagick BigTIFF", readTestdata(t, "bigtiff.tif"), "a BigTIFF"},
		{"ImageMagick float TIFF", readTestdata(t, "float.tif"), "floating-point samples"},
		{"4-bit palette TIFF", tiffOf(map[uint16]uint16{tiffBitsPerSample: 4, tiffPhotometric: 3}), "4 bits per sample"},
		{"grey and alpha TIFF", tiffOf(map[uint16]uint16{tiffPhotometric: 1, tiffSamplesPerPixel: 2, tiffExtraSamples: 2}), "grey or palette pixels with 2 samples"},
		{"signed TIFF", tiffOf(map[uint16]uint16{tiffSampleFormat: 2}), "signed integer samples"},
		{"floating-point predictor", tiffOf(map[uint16]uint16{tiffPredictor: 3}), "predictor 3"},
		{"unspecified extra sample", tiffOf(map[uint16]uint16{tiffSamplesPerPixel: 4}), "a fourth sample of unspecified meaning"},
		{"Zstandard TIFF", tiffOf(map[uint16]uint16{tiffCompression: 50000}), "Zstandard"},
		{"animated WebP", animatedWebP(t), "an animated WebP"},
	}
	m := newMaker(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.Make(tc.src)
			if !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("Make = %v, want ErrUnsupportedFormat", err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasSuffix(err.Error(), "which is not supported") {
				t.Errorf("message %q does not say %q, which is not supported", err, tc.msg)
			}
		})
	}
}

// TestFeatureBuildersDecode checks the files the refusals are built from decode when nothing
// is changed in them, so that each refusal is caused by the one thing changed.
func TestFeatureBuildersDecode(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	for name, src := range map[string][]byte{"BMP": bmpOf(40, 24, 0, nil), "TIFF": tiffOf(nil)} {
		if _, err := m.Make(src); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// bmpOf builds a 2x2 BMP with a DIB header of size bytes, bpp bits per pixel, the compression
// method, and bit masks after the header when given.
func bmpOf(size, bpp, compression uint32, masks []uint32) []byte {
	le := binary.LittleEndian
	pixels := make([]byte, 2*((2*bpp+31)/32*4))
	offset := 14 + size + 4*uint32(len(masks))
	b := []byte("BM")
	b = le.AppendUint32(b, offset+uint32(len(pixels)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, offset)
	h := make([]byte, size)
	le.PutUint32(h, size)
	if size >= 40 {
		le.PutUint32(h[4:], 2)
		le.PutUint32(h[8:], 2)
		le.PutUint16(h[12:], 1)
		le.PutUint16(h[14:], uint16(bpp))
		le.PutUint32(h[16:], compression)
	}
	b = append(b, h...)
	for _, m := range masks {
		b = le.AppendUint32(b, m)
	}
	return append(b, pixels...)
}

// tiffOf builds an uncompressed little-endian 2x2 TIFF: 8-bit RGB unless tags say otherwise.
func tiffOf(tags map[uint16]uint16) []byte {
	all := map[uint16]uint16{256: 2, 257: 2, tiffBitsPerSample: 8, tiffCompression: 1, tiffPhotometric: 2,
		tiffSamplesPerPixel: 3, 278: 2}
	maps.Copy(all, tags)
	le := binary.LittleEndian
	ids := slices.Sorted(maps.Keys(all))
	const stripOffsets, stripByteCounts = 273, 279
	ids = slices.Sorted(slices.Values(append(ids, stripOffsets, stripByteCounts)))
	ifdSize := 2 + 12*len(ids) + 4
	// BitsPerSample has one value per sample; more than two do not fit the entry.
	samples := int(all[tiffSamplesPerPixel])
	bits := le.AppendUint16(nil, all[tiffBitsPerSample])
	for range samples - 1 {
		bits = le.AppendUint16(bits, all[tiffBitsPerSample])
	}
	pixels := make([]byte, 2*2*8)
	b := append([]byte("II*\x00"), 8, 0, 0, 0)
	b = le.AppendUint16(b, uint16(len(ids)))
	for _, id := range ids {
		b = le.AppendUint16(b, id)
		switch id {
		case stripOffsets:
			b = le.AppendUint16(b, typeLong)
			b = le.AppendUint32(b, 1)
			b = le.AppendUint32(b, uint32(8+ifdSize+len(bits)))
		case tiffBitsPerSample:
			b = le.AppendUint16(b, typeShort)
			b = le.AppendUint32(b, uint32(samples))
			if samples <= 2 {
				b = append(b, append(bits, 0, 0, 0, 0)[:4]...)
			} else {
				b = le.AppendUint32(b, uint32(8+ifdSize))
			}
		case stripByteCounts:
			b = le.AppendUint16(b, typeLong)
			b = le.AppendUint32(b, 1)
			b = le.AppendUint32(b, uint32(len(pixels)))
		default:
			b = le.AppendUint16(b, typeShort)
			b = le.AppendUint32(b, 1)
			b = le.AppendUint16(b, all[id])
			b = le.AppendUint16(b, 0)
		}
	}
	b = le.AppendUint32(b, 0)
	if samples > 2 {
		b = append(b, bits...)
	} else {
		b = append(b, make([]byte, len(bits))...) // keeps the pixels where StripOffsets says
	}
	return append(b, pixels...)
}

// FuzzUnsupportedFeature feeds any bytes to the BMP and TIFF header readers: they must not
// panic, and must give the same answer twice.
func FuzzUnsupportedFeature(f *testing.F) {
	for _, name := range []string{"rle8.bmp", "os2.bmp", "rgb565.bmp", "planar.tif", "cmyk.tif", "bigtiff.tif", "orient6.tif"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(bmpOf(40, 32, 3, []uint32{0xff0000, 0xff00, 0xff, 0xff000000}))
	f.Add(tiffOf(map[uint16]uint16{tiffPlanarConfig: 2}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range []format{formatBMP, formatTIFF, formatWebP} {
			if a, b := unsupportedFeature(fm, data), unsupportedFeature(fm, data); a != b {
				t.Fatalf("%s: %q then %q", fm, a, b)
			}
		}
	})
}
