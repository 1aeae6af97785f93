package imaging

import (
	"encoding/binary"
	"fmt"
)

// BMP comes in more kinds than x/image/bmp decodes: it takes the Windows headers of 40, 108 and
// 124 bytes, 1-, 2-, 4-, 8-, 24- and 32-bit pixels, uncompressed, the palette right before the
// pixels. bmpUnsupported reads the header of the others to name what they use, so that a person
// knows the file is well formed and what is not supported in it.

// bmpUnsupported names the feature of a BMP that x/image/bmp does not decode, or returns "" for
// a BMP it decodes or whose header is cut short (the decoder then says it is truncated).
func bmpUnsupported(data []byte) string {
	const fileHeader = 14
	if len(data) < fileHeader+4 {
		return ""
	}
	le := binary.LittleEndian
	size := le.Uint32(data[fileHeader:])
	switch {
	case size == 12:
		return "an OS/2 1.x BMP (12-byte header)"
	case size == 52 || size == 56:
		return fmt.Sprintf("a BMP with Adobe's %d-byte header", size)
	case size >= 16 && size <= 64 && size != 40:
		return fmt.Sprintf("an OS/2 2.x BMP (%d-byte header)", size)
	case size != 40 && size != 108 && size != 124:
		return fmt.Sprintf("a BMP with a %d-byte header", size)
	}
	if len(data) < fileHeader+40 {
		return ""
	}
	h := data[fileHeader:]
	bpp, compression := le.Uint16(h[14:]), le.Uint32(h[16:])
	switch compression {
	case 0:
	case 1:
		return "an RLE8-compressed BMP"
	case 2:
		return "an RLE4-compressed BMP"
	case 3, 6:
		return bmpBitfields(data, bpp, size)
	case 4:
		return "a BMP holding a JPEG"
	case 5:
		return "a BMP holding a PNG"
	case 11, 12, 13:
		return "a CMYK BMP"
	default:
		return fmt.Sprintf("a BMP with compression %d", compression)
	}
	switch bpp {
	case 1, 2, 4, 8:
		return bmpPaletteGap(data, bpp, size)
	case 24, 32:
		if le.Uint32(data[10:]) != fileHeader+size {
			return "a BMP with a gap before its pixels"
		}
		return ""
	}
	return fmt.Sprintf("a %d-bit BMP", bpp)
}

// bmpBitfields names a BMP whose colours are bit masks of each pixel, unless it is the one kind
// x/image decodes: 32-bit ARGB masks in a header of 108 or 124 bytes.
func bmpBitfields(data []byte, bpp uint16, size uint32) string {
	masks := data[14+40:]
	if len(masks) < 12 {
		return ""
	}
	le := binary.LittleEndian
	r, g, b := le.Uint32(masks), le.Uint32(masks[4:]), le.Uint32(masks[8:])
	if size > 40 && bpp == 32 && r == 0xff0000 && g == 0xff00 && b == 0xff &&
		len(masks) >= 16 && le.Uint32(masks[12:]) == 0xff000000 {
		return ""
	}
	return fmt.Sprintf("a %d-bit bitfields BMP (masks R %#x G %#x B %#x)", bpp, r, g, b)
}

// bmpPaletteGap names a palette BMP whose pixels do not follow its palette at once, which
// x/image reads as unsupported.
func bmpPaletteGap(data []byte, bpp uint16, size uint32) string {
	le := binary.LittleEndian
	colours := le.Uint32(data[14+32:])
	if colours == 0 {
		colours = 1 << bpp
	}
	if colours > 1<<bpp {
		return fmt.Sprintf("a %d-bit BMP with a palette of %d colours", bpp, colours)
	}
	if uint64(le.Uint32(data[10:])) != 14+uint64(size)+4*uint64(colours) {
		return "a palette BMP with a gap before its pixels"
	}
	return ""
}
