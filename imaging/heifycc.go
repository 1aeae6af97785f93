package imaging

import (
	"encoding/binary"
	"image"
	"math"
)

// The direct HEVC path (heif_de265.go) shrinks the decoder's own planes, Y at full size and
// the chroma planes at theirs, onto the same small grid, and only then converts to RGB: on a
// 12 MP photo made into a thumbnail that converts ~1/36 of the pixels that libheif 1.15
// converts (docs/performance.md, "HEIC and AVIF"). The conversion is affine, so the mean of the
// converted pixels is the converted mean, except where a pixel's colour is clipped to 0 or
// 255 and for the rounding of the means to whole levels before converting: ~0.4 levels per
// channel from libheif's pictures, measured (heif_de265_test.go).

// ycbcrPlanes is a picture as the HEVC decoder gives it: Y, and Cb and Cr at their own size
// (nil for 4:0:0).
type ycbcrPlanes struct {
	y, cb, cr   []byte
	yStride     int
	cStride     int
	size, cSize image.Point
}

// ycbcrColour converts YCbCr to RGB as libheif 1.15 does (heif_colorconversion.cc,
// Op_YCbCr_to_RGB; nclx.cc, get_YCbCr_to_RGB_coefficients): from Kr and Kb of the matrix, in
// float32, limited range scaled by 1.1689 and 1.1429, rounded and clipped.
type ycbcrColour struct {
	rCr, gCb, gCr, bCb float32
	fullRange          bool
}

// ycbcrColourOf returns the conversion of an nclx matrix (ITU-T H.273) and range, for the
// matrices libheif converts with Kr and Kb: 1 (BT.709), 5 and 6 (BT.601), 9 (BT.2020 NCL), and
// 2 (unspecified), which libheif takes as BT.601. Other matrices are false: the direct path
// leaves them to libheif.
func ycbcrColourOf(matrix int, fullRange bool) (ycbcrColour, bool) {
	var kr, kb float32
	switch matrix {
	case 1:
		kr, kb = 0.2126, 0.0722
	case 2:
		// libheif's defaults() are BT.601's coefficients, written out.
		return ycbcrColour{rCr: 1.402, gCb: -0.344136, gCr: -0.714136, bCb: 1.772, fullRange: fullRange}, true
	case 5, 6:
		kr, kb = 0.299, 0.114
	case 9:
		kr, kb = 0.2627, 0.0593
	default:
		return ycbcrColour{}, false
	}
	return ycbcrColour{
		rCr:       2 * (-kr + 1),
		gCb:       2 * kb * (-kb + 1) / (kb + kr - 1),
		gCr:       2 * kr * (-kr + 1) / (kb + kr - 1),
		bCb:       2 * (-kb + 1),
		fullRange: fullRange,
	}, true
}

// rgb converts one pixel.
func (c ycbcrColour) rgb(y, cb, cr uint8) (uint8, uint8, uint8) {
	yv, u, v := float32(y), float32(int(cb)-128), float32(int(cr)-128)
	if !c.fullRange {
		yv = (yv - 16) * 1.1689
		u *= 1.1429
		v *= 1.1429
	}
	return clip8(yv + c.rCr*v), clip8(yv + c.gCb*u + c.gCr*v), clip8(yv + c.bCb*u)
}

// clip8 rounds as libheif's clip_f_u16 does: half up, then clipped.
func clip8(f float32) uint8 {
	v := math.Floor(float64(f + 0.5))
	return uint8(max(0, min(255, v)))
}

// shrinkYCbCr averages p onto a w×h grid, Y by averagePlane's blocks and each chroma plane
// over the same blocks of luma pixels (averageChroma), and converts the means to RGB with c:
// an opaque picture.
func shrinkYCbCr(p ycbcrPlanes, w, h int, c ycbcrColour) *image.RGBA {
	y := make([]byte, w*h)
	averagePlane(y, w, h, p.y, p.yStride, p.size)
	var cb, cr []byte
	if p.cb != nil {
		cb, cr = make([]byte, w*h), make([]byte, w*h)
		averageChroma(cb, w, h, p.cb, p.cStride, p)
		averageChroma(cr, w, h, p.cr, p.cStride, p)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		u, v := uint8(128), uint8(128)
		if cb != nil {
			u, v = cb[i], cr[i]
		}
		r, g, b := c.rgb(y[i], u, v)
		dst.Pix[4*i], dst.Pix[4*i+1], dst.Pix[4*i+2], dst.Pix[4*i+3] = r, g, b, 0xff
	}
	return dst
}

// averageChroma is averagePlane of a chroma plane of p (plane, rows stride bytes apart), as
// libheif upsamples it, onto the blocks of p's luma plane: luma pixel (x, y) takes chroma
// sample (x/sx, y/sy), sx and sy the factors by which the chroma plane is smaller. Averaging the
// chroma plane on its own grid instead shifts a block's chroma by up to half a sample, which
// measured 0.7–0.95 levels from libheif's pictures instead of ~0.3.
func averageChroma(dst []uint8, w, h int, plane []byte, stride int, p ycbcrPlanes) {
	sx, sy := ceilDiv(p.size.X, p.cSize.X), ceilDiv(p.size.Y, p.cSize.Y)
	if sx == 1 && sy == 1 {
		averagePlane(dst, w, h, plane, stride, p.cSize)
		return
	}
	cols := make([]uint32, p.cSize.X)
	for y := range h {
		top, bottom := y*p.size.Y/h, (y+1)*p.size.Y/h
		clear(cols)
		for ly := top; ly < bottom; ly++ {
			row := ly / sy * stride
			addBytes(cols, plane[row:row+p.cSize.X])
		}
		out := dst[y*w : y*w+w]
		for x := range out {
			left, right := x*p.size.X/w, (x+1)*p.size.X/w
			var sum uint32
			for lx := left; lx < right; lx++ {
				sum += cols[lx/sx]
			}
			n := uint32((bottom - top) * (right - left))
			out[x] = uint8((sum + n/2) / n)
		}
	}
}

// undecodedBlock reports whether p, decoded into zeroed planes, has an 8×8 block of luma, at a
// multiple of 8, whose samples are all 0 and whose chroma samples are all below 64: what
// libde265 did not decode. It decodes a picture by coding tree blocks of 16×16 to 64×64, and
// when a damaged stream ends a slice early or lacks one it gives the picture with the rest not
// written, reporting nothing; any such block holds an aligned 8×8 one. (Its filters may still
// touch the chroma there: measured up to 39 in Cb.) Decoded, such a block would be a
// saturated green below black, which no camera makes; were one found, libheif would decode
// the picture instead.
func undecodedBlock(p ycbcrPlanes) bool {
	sx, sy := 1, 1
	if p.cb != nil {
		sx, sy = ceilDiv(p.size.X, p.cSize.X), ceilDiv(p.size.Y, p.cSize.Y)
	}
	for by := 0; by+8 <= p.size.Y; by += 8 {
		for bx := 0; bx+8 <= p.size.X; bx += 8 {
			if belowBlock(p.y, p.yStride, bx, by, 8, 8, 0xff) && (p.cb == nil ||
				belowBlock(p.cb, p.cStride, bx/sx, by/sy, 8/sx, 8/sy, 0xc0) &&
					belowBlock(p.cr, p.cStride, bx/sx, by/sy, 8/sx, 8/sy, 0xc0)) {
				return true
			}
		}
	}
	return false
}

// belowBlock reports whether no sample of the w×h block at (x, y) of plane has a bit of mask
// set (0xff: all 0; 0xc0: all below 64); w is 4 or 8.
func belowBlock(plane []byte, stride, x, y, w, h int, mask byte) bool {
	m := uint64(mask) * 0x0101010101010101
	for r := range h {
		row := plane[(y+r)*stride+x:][:w]
		var v uint64
		if w == 8 {
			v = binary.LittleEndian.Uint64(row)
		} else {
			v = uint64(binary.LittleEndian.Uint32(row))
		}
		if v&m != 0 {
			return false
		}
	}
	return true
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
