package imaging

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// TIFF is a container of many kinds, and x/image/tiff decodes the baseline ones: grey, palette
// and RGB(A) pixels of 1, 8 or 16 bits, interleaved, uncompressed or compressed with LZW,
// Deflate, PackBits or CCITT fax. tiffUnsupported reads the first image directory (IFD0) to
// name what the others use before x/image is given them: it would call a planar TIFF damaged
// (it ignores PlanarConfiguration), and say only "color model" for CMYK or Lab.
//
// Like the EXIF reader, it checks every offset against the data, reads only IFD0 and follows
// no pointer further than one tag's values, so it ends on any input.

// TIFF tags read here, and x/image's limits on them.
const (
	tiffBitsPerSample   = 258
	tiffCompression     = 259
	tiffPhotometric     = 262
	tiffSamplesPerPixel = 277
	tiffPlanarConfig    = 284
	tiffPredictor       = 317
	tiffExtraSamples    = 338
	tiffSampleFormat    = 339
)

// tiffUnsupported names the feature of a TIFF that x/image/tiff does not decode, or returns ""
// for one it decodes or whose directory cannot be read (the decoder then says what is wrong).
func tiffUnsupported(data []byte) string {
	if bytes.HasPrefix(data, []byte("II+\x00")) || bytes.HasPrefix(data, []byte("MM\x00+")) {
		return "a BigTIFF (64-bit offsets)"
	}
	tags := tiffTags(data)
	if tags == nil {
		return ""
	}
	first := func(tag uint16, def uint32) uint32 {
		if v, ok := tags[tag]; ok {
			return v.first
		}
		return def
	}
	if c := first(tiffCompression, 1); !tiffCompressionDecoded(c) {
		return "a TIFF compressed with " + tiffCompressionName(c)
	}
	photometric := first(tiffPhotometric, 1)
	if photometric > 3 {
		return "a TIFF in the " + tiffColourModel(photometric) + " colour model"
	}
	samples := first(tiffSamplesPerPixel, 1)
	if first(tiffPlanarConfig, 1) == 2 && samples > 1 {
		return "a planar TIFF (each channel stored apart)"
	}
	switch f := first(tiffSampleFormat, 1); f {
	case 1:
	case 2:
		return "a TIFF of signed integer samples"
	case 3:
		return "a TIFF of floating-point samples"
	default:
		return fmt.Sprintf("a TIFF with sample format %d", f)
	}
	switch bits := first(tiffBitsPerSample, 1); bits {
	case 1, 8, 16:
	default:
		return fmt.Sprintf("a TIFF with %d bits per sample", bits)
	}
	if p := first(tiffPredictor, 1); p > 2 {
		return fmt.Sprintf("a TIFF with predictor %d (floating point)", p)
	}
	switch {
	case photometric != 2 && samples > 1:
		return fmt.Sprintf("a TIFF of grey or palette pixels with %d samples each (an alpha channel)", samples)
	case photometric == 2 && samples > 4:
		return fmt.Sprintf("a TIFF of %d samples per pixel", samples)
	case photometric == 2 && samples == 4 && first(tiffExtraSamples, 0) == 0:
		return "a TIFF with a fourth sample of unspecified meaning"
	}
	return ""
}

func tiffCompressionDecoded(c uint32) bool {
	switch c {
	case 1, 3, 4, 5, 8, 32773, 32946:
		return true
	}
	return false
}

func tiffCompressionName(c uint32) string {
	names := map[uint32]string{
		2: "CCITT modified Huffman (RLE)", 6: "old-style JPEG, that is JPEG-in-TIFF", 7: "JPEG, that is JPEG-in-TIFF",
		9: "JBIG (T.85)", 10: "JBIG (T.43)", 32771: "NeXT", 32809: "ThunderScan", 34661: "JBIG",
		34676: "SGI LogLuv", 34677: "SGI LogLuv 24", 34712: "JPEG 2000", 34887: "ESRI LERC",
		34925: "LZMA", 50000: "Zstandard", 50001: "WebP", 50002: "JPEG XL", 52546: "JPEG XL",
	}
	if name, ok := names[c]; ok {
		return fmt.Sprintf("%s (compression %d)", name, c)
	}
	return fmt.Sprintf("compression %d", c)
}

func tiffColourModel(p uint32) string {
	names := map[uint32]string{
		4: "transparency mask", 5: "CMYK (separated)", 6: "YCbCr", 8: "CIE L*a*b*", 9: "ICC L*a*b*",
		10: "ITU L*a*b*", 32803: "colour filter array (raw sensor)", 32844: "LogL", 32845: "LogLuv",
		34892: "linear raw",
	}
	if name, ok := names[p]; ok {
		return name
	}
	return fmt.Sprintf("photometric %d", p)
}

type tiffValue struct {
	first uint32 // the first value
	count uint32
}

// tiffTags reads the first value of each SHORT or LONG tag of IFD0, or returns nil when the
// directory cannot be read.
func tiffTags(data []byte) map[uint16]tiffValue {
	order, entries := tiffIFD0(data)
	if order == nil {
		return nil
	}
	tags := make(map[uint16]tiffValue, len(entries))
	for _, e := range entries {
		typ, count := order.Uint16(e[2:]), order.Uint32(e[4:])
		var width uint64
		switch typ {
		case typeShort:
			width = 2
		case typeLong:
			width = 4
		default:
			continue
		}
		if count == 0 {
			continue
		}
		value := e[8:12]
		if width*uint64(count) > 4 {
			off := uint64(order.Uint32(e[8:]))
			if off+width > uint64(len(data)) {
				return nil
			}
			value = data[off : off+width]
		}
		v := tiffValue{count: count}
		if width == 2 {
			v.first = uint32(order.Uint16(value))
		} else {
			v.first = order.Uint32(value)
		}
		tags[order.Uint16(e)] = v
	}
	return tags
}

// tiffICCProfile is the tag holding an embedded ICC profile (TIFF/EP, Photoshop).
const tiffICCProfile = 34675

// tiffProfile returns the ICC profile of IFD0 (nil when none or out of the data), and whether
// its pixels are grey (photometric 0 or 1).
func tiffProfile(data []byte) (icc []byte, grey bool) {
	tags := tiffTags(data)
	if p, ok := tags[tiffPhotometric]; ok {
		grey = p.first <= 1
	}
	order, entries := tiffIFD0(data)
	for _, e := range entries {
		if order.Uint16(e) != tiffICCProfile {
			continue
		}
		typ, count := order.Uint16(e[2:]), uint64(order.Uint32(e[4:]))
		if typ != 1 && typ != 7 { // BYTE or UNDEFINED
			return nil, grey
		}
		if count <= 4 {
			return nil, grey // no profile is that short
		}
		off := uint64(order.Uint32(e[8:]))
		if count > maxProfileBytes || off+count > uint64(len(data)) {
			return nil, grey
		}
		return data[off : off+count], grey
	}
	return nil, grey
}

// tiffIFD0 returns the byte order of a TIFF and the 12-byte entries of its first directory,
// or none when they cannot be read.
func tiffIFD0(data []byte) (binary.ByteOrder, [][]byte) {
	if len(data) < 8 {
		return nil, nil
	}
	var order binary.ByteOrder
	switch string(data[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return nil, nil
	}
	ifd := uint64(order.Uint32(data[4:]))
	if ifd < 8 || ifd+2 > uint64(len(data)) {
		return nil, nil
	}
	n := uint64(order.Uint16(data[ifd:]))
	if ifd+2+12*n > uint64(len(data)) {
		return nil, nil
	}
	entries := make([][]byte, n)
	for i := range entries {
		entries[i] = data[ifd+2+12*uint64(i) : ifd+2+12*uint64(i)+12]
	}
	return order, entries
}
