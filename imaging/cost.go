package imaging

import (
	"encoding/binary"
	"image"
)

// The memory budget (Maker.mem) charges each decode, before it starts, the most memory it can
// take from the moment the decoder starts until the thumbnail is resized: the decoder's own
// allocations, its garbage included (the collector need not have run in between), the RGBA
// copy the resize works on, and the resize's pictures. Each figure below comes from reading the
// decoder's code; the crafted files of internal/crafted check them against measured peaks
// (TestDecodeCostBoundsMeasuredMemory, and e2e's TestCraftedFilesStayWithinTheBudget).

const (
	// budgetBytesPerPixel sets the budget: MaxPixels × 12 bytes (600 MB by default) for all
	// decodes together. A JPEG decoded by libjpeg-turbo costs a few bytes per pixel; most
	// other sources 8 to 15.
	budgetBytesPerPixel = 12
	// rgbaBytes is toRGBA's copy, per pixel of the decoded picture.
	rgbaBytes = 4
	// resizeBytes bounds what the resize takes per pixel of the decoded picture: the box
	// reduction by k ≥ 2 writes a picture of 4/k² bytes a source pixel (≤ 1) and sums one row
	// of it; Lanczos-3 works on that or on a picture under twice the thumbnail's size. Its
	// buffers are a worker's, kept between photos, but charged as if new.
	resizeBytes = 3
)

// decodeCost is the memory, in bytes, that decoding and resizing a source takes at most, but
// for what a decoder takes whatever the picture's size (tables, readers: under 256 KB). j is
// the JPEG's structure (nil for other formats); stored its size from the header, need the
// size the thumbnail needs.
func decodeCost(f format, src []byte, j *jpegInfo, stored, need image.Point) int64 {
	px := int64(stored.X) * int64(stored.Y)
	perPixel := func(decoder int64) int64 { return px * (decoder + rgbaBytes + resizeBytes) }
	switch f {
	case formatJPEG:
		if jpegDirectRGBA {
			return turboCost(j, len(src), stored, need)
		}
		return stdJPEGCost(j, stored)
	case formatPNG:
		return pngCost(src, stored)
	case formatGIF:
		// The first frame, paletted (1 byte a pixel); a frame smaller than the screen is
		// drawn onto an RGBA canvas, which then stands in for toRGBA's copy.
		return perPixel(1)
	case formatBMP:
		return perPixel(4) // RGBA or NRGBA, or paletted
	case formatWebP:
		// Lossless: 4 bytes a pixel of ARGB, and as many again when a colour-indexing
		// transform widens packed pixels. Lossy: YCbCr (1.5), and an alpha plane decoded as
		// lossless (4 + 1). Both at most 8.
		return perPixel(8)
	case formatTIFF:
		return tiffCost(src, stored)
	case formatHEIC, formatAVIF:
		return heifDecodeCost(f, src)
	}
	return px * budgetBytesPerPixel
}

// turboCost is libjpeg-turbo's cost: the RGBA (or CMYK) picture it writes, at the DCT scale
// chosen; its row buffers; and, for a progressive or multi-scan JPEG, the coefficients of the
// whole picture at full size (64 × 2 bytes a block, per component), which it keeps until the
// last scan whatever the scale: 146 MB for a 48 MP 4:2:0 photo, 292 MB at 4:4:4. A progressive
// JPEG decoded at 1/8 from the scans that scale reads (jpeg_dc.go) has the same coefficients in
// one mapping, up to 2 MB more to align it to huge pages, and a copy of those scans, under the
// file's size (srcLen).
func turboCost(j *jpegInfo, srcLen int, stored, need image.Point) int64 {
	out := jpegDecodedSize(stored, need)
	pixels := int64(out.X) * int64(out.Y)
	cost := pixels*(4+resizeBytes) + turboRowBuffers(out)
	if j.multiScan() {
		cost += j.blocks(stored) * 128
	}
	if j.progressive() && out == image.Pt((stored.X+7)/8, (stored.Y+7)/8) {
		cost += int64(srcLen) + 2<<20
	}
	return cost
}

// turboRowBuffers bounds libjpeg-turbo's working rows (an iMCU row of samples per component
// before and after upsampling, with context rows, and TurboJPEG's row pointers): 256 bytes a
// column of output is several times what it allocates.
func turboRowBuffers(out image.Point) int64 {
	return 256*int64(out.X) + 8*int64(out.Y)
}

// stdJPEGCost is image/jpeg's cost: the decoded planes (one byte a sample, padded to whole
// blocks), for a progressive JPEG the coefficients of every block (64 × 4 bytes), for 4
// components the CMYK picture it converts to (4 bytes a pixel), then the RGBA copy and the
// resize, all at full size.
func stdJPEGCost(j *jpegInfo, stored image.Point) int64 {
	px := int64(stored.X) * int64(stored.Y)
	blocks := j.blocks(stored)
	cost := blocks*64 + px*(rgbaBytes+resizeBytes)
	if j.progressive() || len(j.components) == 0 {
		cost += blocks * 256
	}
	if len(j.components) != 1 && len(j.components) != 3 {
		cost += px * 4
	}
	return cost
}

// blocks is the number of 8x8 blocks of all components of a JPEG of that size, padded to whole
// MCUs as both decoders allocate them. Without a frame header it assumes the worst the
// decoders accept: four components at full resolution.
func (j *jpegInfo) blocks(stored image.Point) int64 {
	comps := j.components
	if len(comps) == 0 {
		comps = []jpegComponent{{h: 1, v: 1}, {h: 1, v: 1}, {h: 1, v: 1}, {h: 1, v: 1}}
	}
	hmax, vmax := 1, 1
	for _, c := range comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	if len(comps) == 1 {
		hmax, vmax = 1, 1 // a single component is never subsampled
		comps = []jpegComponent{{h: 1, v: 1}}
	}
	mcuX := int64(stored.X+8*hmax-1) / int64(8*hmax)
	mcuY := int64(stored.Y+8*vmax-1) / int64(8*vmax)
	var n int64
	for _, c := range comps {
		n += mcuX * int64(c.h) * mcuY * int64(c.v)
	}
	return n
}

// pngCost is image/png's cost: the picture in the type it decodes to (1 byte a pixel for
// palettes, 4 for 8-bit colour or grey with transparency, 8 for 16 bits), twice for an
// interlaced PNG (each of its seven passes is decoded into a picture of its own, then copied
// into the whole), then the RGBA copy and the resize.
func pngCost(src []byte, stored image.Point) int64 {
	px := int64(stored.X) * int64(stored.Y)
	const ihdr = 8 + 8 // signature, then the IHDR chunk's length and type
	depth, colourType, interlaced := byte(16), byte(6), true
	if len(src) >= ihdr+13 {
		depth, colourType, interlaced = src[ihdr+8], src[ihdr+9], src[ihdr+12] != 0
	}
	var picture int64
	switch {
	case depth == 16:
		picture = 8
	case colourType == 3:
		picture = 1
	default:
		picture = 4
	}
	if interlaced {
		picture *= 2
	}
	return px*(picture+rgbaBytes+resizeBytes) + 16*int64(stored.X)
}

// tiffCost is x/image/tiff's cost: the picture (4 bytes a pixel, 8 at 16 bits), then the
// RGBA copy and the resize, plus the buffers it reads strips or tiles into. An uncompressed one
// is read into a new buffer each, up to 8 bytes a pixel of the block; a compressed one is
// inflated into one reused buffer that doubles as it fills, up to 8 bytes a pixel of the
// block: twice that capacity at most, and as much again in the smaller buffers it left behind.
// A 3200x3200 16-bit deflate TIFF of one strip, 134 KB, takes ~400 MB.
func tiffCost(src []byte, stored image.Point) int64 {
	px := int64(stored.X) * int64(stored.Y)
	t := readTIFFLayout(src, stored)
	picture := int64(4)
	if t.bitsPerSample > 8 {
		picture = 8
	}
	blocks := px * 8 // uncompressed: every block read afresh
	if t.compressed {
		blocks = 4 * 8 * int64(t.blockW) * int64(t.blockH)
	}
	return px*(picture+rgbaBytes+resizeBytes) + blocks
}

// tiffLayout is what the TIFF cost needs from IFD0: how the pixels are stored.
type tiffLayout struct {
	bitsPerSample  int
	compressed     bool
	blockW, blockH int // a strip (the width by RowsPerStrip rows) or a tile
}

// readTIFFLayout reads IFD0 of a TIFF whose header said stored. Anything it cannot read is
// taken at its worst: 16 bits, compressed, one strip of the whole picture.
func readTIFFLayout(data []byte, stored image.Point) tiffLayout {
	t := tiffLayout{bitsPerSample: 16, compressed: true, blockW: stored.X, blockH: stored.Y}
	var order binary.ByteOrder
	switch {
	case len(data) < 8:
		return t
	case string(data[:4]) == "II*\x00":
		order = binary.LittleEndian
	case string(data[:4]) == "MM\x00*":
		order = binary.BigEndian
	default:
		return t
	}
	ifd := uint64(order.Uint32(data[4:]))
	if ifd+2 > uint64(len(data)) {
		return t
	}
	values := map[uint16]int{}
	for i := range int(order.Uint16(data[ifd:])) {
		e := int(ifd) + 2 + 12*i
		if e+12 > len(data) {
			break
		}
		values[order.Uint16(data[e:])] = tiffFirstValue(order, data, data[e:e+12])
	}
	const (
		tagBitsPerSample = 258
		tagCompression   = 259
		tagRowsPerStrip  = 278
		tagTileWidth     = 322
		tagTileLength    = 323
	)
	if v, ok := values[tagBitsPerSample]; ok {
		t.bitsPerSample = v
	}
	if v, ok := values[tagCompression]; ok {
		t.compressed = v != 1 && v != 0 // none, or absent as x/image/tiff reads it
	}
	if w, h := values[tagTileWidth], values[tagTileLength]; w > 0 && h > 0 {
		// x/image/tiff refuses tiles that overhang the picture by more than 16 pixels and
		// are over 1024 wide or long.
		t.blockW, t.blockH = min(w, max(stored.X+16, 1024)), min(h, max(stored.Y+16, 1024))
	} else if r := values[tagRowsPerStrip]; r > 0 && r < stored.Y {
		t.blockH = r
	}
	return t
}

// tiffFirstValue returns the first value of a SHORT or LONG IFD entry, inline or at its
// offset, or -1.
func tiffFirstValue(order binary.ByteOrder, data, entry []byte) int {
	typ, count := order.Uint16(entry[2:]), order.Uint32(entry[4:])
	size := map[uint16]uint32{3: 2, 4: 4}[typ]
	if size == 0 || count == 0 {
		return -1
	}
	value := entry[8:12]
	if size*count > 4 {
		off := uint64(order.Uint32(entry[8:]))
		if off+uint64(size) > uint64(len(data)) {
			return -1
		}
		value = data[off:]
	}
	if size == 2 {
		return int(order.Uint16(value))
	}
	return int(min(order.Uint32(value), 1<<30))
}

// outputsCost is what making the thumbnails of targets ts (largest first) in formats fs takes
// beyond the decode and its resize, which decodeCost charges for the largest: the oriented
// copy, the copy a size is kept in while the next is resized from it, and the encoder's own
// memory, one encoder at a time. Smaller sizes reuse the largest's buffers.
func outputsCost(ts []target, fs []Format) int64 {
	px := int64(ts[0].store.X) * int64(ts[0].store.Y)
	cost := px * 4 // oriented
	if len(ts) > 1 {
		cost += px * 4 // kept
	}
	var encoder int64
	for _, f := range fs {
		encoder = max(encoder, encoderCost(f, ts[0].store))
	}
	return cost + encoder
}

// encoderCost is the memory an encoder takes for a picture of size: the growth of the peak
// resident memory of `photoproc thumbnail` on the 12 MP photo when the format is added, for
// boxes of 1280 and 4000 (libwebp 1.2.4: +5.5 and +35 MB; libavif 0.11 with aom at speed 9:
// +26 and +195 MB), rounded up.
func encoderCost(f Format, size image.Point) int64 {
	px := int64(size.X) * int64(size.Y)
	switch f {
	case WebP:
		return px*webpBytesPerPixel + webpFixedBytes
	case AVIF:
		return px*avifBytesPerPixel + avifFixedBytes
	}
	return px * 4 // libjpeg-turbo's output buffer (3 bytes a pixel at 4:4:4) and its rows
}

// Encoders' memory: so much per pixel and so much whatever the size.
const (
	webpBytesPerPixel = 4
	webpFixedBytes    = 2 << 20
	avifBytesPerPixel = 18
	avifFixedBytes    = 8 << 20
)
