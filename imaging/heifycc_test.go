package imaging

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"
)

// TestYCbCrColour checks the conversion against values worked out from H.273's equations
// (R = Y + 2(1-Kr)·Cr, B = Y + 2(1-Kb)·Cb, G from the rest), rounded: the primaries and white
// and grey, full and limited range.
func TestYCbCrColour(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		matrix    int
		full      bool
		y, cb, cr uint8
		r, g, b   uint8
	}{
		{6, true, 128, 128, 128, 128, 128, 128},
		{6, true, 76, 85, 255, 254, 0, 0}, // BT.601 red
		{2, true, 76, 85, 255, 254, 0, 0}, // unspecified: BT.601, as libheif takes it
		{1, true, 54, 99, 255, 254, 0, 0}, // BT.709 red: 54 + 1.5748·127 = 253.99
		{1, false, 235, 128, 128, 255, 255, 255},
		{1, false, 16, 128, 128, 0, 0, 0},
		{6, false, 126, 128, 128, 129, 129, 129}, // (126-16)·1.1689 = 128.6
		{9, true, 100, 128, 200, 206, 59, 100},   // BT.2020: 100 + 1.4746·72, 100 - 0.57135·72
	} {
		c, ok := ycbcrColourOf(tc.matrix, tc.full)
		if !ok {
			t.Fatalf("matrix %d not taken", tc.matrix)
		}
		r, g, b := c.rgb(tc.y, tc.cb, tc.cr)
		if r != tc.r || g != tc.g || b != tc.b {
			t.Errorf("matrix %d, full %v: %d,%d,%d → %d,%d,%d; want %d,%d,%d", tc.matrix, tc.full, tc.y, tc.cb, tc.cr, r, g, b, tc.r, tc.g, tc.b)
		}
	}
	for _, m := range []int{0, 3, 4, 7, 8, 10, 11, 12, 13, 14, 255} {
		if _, ok := ycbcrColourOf(m, true); ok {
			t.Errorf("matrix %d taken; libheif converts it otherwise or not at all", m)
		}
	}
}

// TestAverageChroma: the chroma average is the mean of the chroma plane upsampled as libheif
// does it (each luma pixel takes the chroma sample at half its coordinates), over averagePlane's
// blocks, on noise, for 4:2:0 and 4:2:2 at sizes the blocks do and do not divide.
func TestAverageChroma(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		size, sub image.Point
		w, h      int
	}{
		{image.Pt(64, 48), image.Pt(2, 2), 16, 12},
		{image.Pt(601, 397), image.Pt(2, 2), 85, 56},
		{image.Pt(600, 400), image.Pt(2, 1), 42, 28},
		{image.Pt(31, 17), image.Pt(2, 2), 15, 8},
	} {
		p := ycbcrPlanes{size: tc.size, cSize: image.Pt(ceilDiv(tc.size.X, tc.sub.X), ceilDiv(tc.size.Y, tc.sub.Y))}
		p.cStride = p.cSize.X + 3
		plane := make([]byte, p.cStride*p.cSize.Y)
		for i := range plane {
			plane[i] = uint8(rng.IntN(256))
		}
		up := make([]byte, tc.size.X*tc.size.Y)
		for y := range tc.size.Y {
			for x := range tc.size.X {
				up[y*tc.size.X+x] = plane[y/tc.sub.Y*p.cStride+x/tc.sub.X]
			}
		}
		want, got := make([]byte, tc.w*tc.h), make([]byte, tc.w*tc.h)
		averagePlane(want, tc.w, tc.h, up, tc.size.X, tc.size)
		averageChroma(got, tc.w, tc.h, plane, p.cStride, p)
		if !bytes.Equal(got, want) {
			t.Errorf("%v, subsampled by %v, onto %dx%d: not the upsampled plane's average", tc.size, tc.sub, tc.w, tc.h)
		}
	}
}

// TestUndecodedBlock: a picture with a 16×16 block of zeros in Y and chroma below 64 is
// found, at any place; zeros in Y alone (black, full range) or in chroma alone are not.
func TestUndecodedBlock(t *testing.T) {
	t.Parallel()
	size := image.Pt(70, 50)
	picture := func() ycbcrPlanes {
		p := ycbcrPlanes{size: size, yStride: 72, cSize: image.Pt(35, 25), cStride: 40}
		p.y = bytes.Repeat([]byte{90}, p.yStride*size.Y)
		p.cb = bytes.Repeat([]byte{100}, p.cStride*p.cSize.Y)
		p.cr = bytes.Repeat([]byte{140}, p.cStride*p.cSize.Y)
		return p
	}
	zero := func(plane []byte, stride, x, y, w, h int) {
		for r := range h {
			clear(plane[(y+r)*stride+x:][:w])
		}
	}
	if undecodedBlock(picture()) {
		t.Error("a whole picture: found a block")
	}
	for _, at := range []image.Point{{0, 0}, {56, 40}, {3, 5}} {
		// 16×16, as the smallest coding tree block, anywhere (it holds an aligned 8×8 one).
		p := picture()
		zero(p.y, p.yStride, at.X, at.Y, 16, min(16, size.Y-at.Y))
		zero(p.cb, p.cStride, at.X/2, at.Y/2, 8, min(8, p.cSize.Y-at.Y/2))
		zero(p.cr, p.cStride, at.X/2, at.Y/2, 8, min(8, p.cSize.Y-at.Y/2))
		p.cb[(at.Y/2+1)*p.cStride+at.X/2+1] = 39 // libde265's filters touch chroma there
		if !undecodedBlock(p) {
			t.Errorf("16×16 of zeros at %v: not found", at)
		}
		zero(p.cb, p.cStride, 0, 0, p.cStride, p.cSize.Y) // chroma all 0, Y not
		p.y = picture().y
		if undecodedBlock(p) {
			t.Errorf("Cb and Cr 0, Y not: found a block")
		}
	}
	p := picture()
	clear(p.y) // black
	if undecodedBlock(p) {
		t.Error("Y 0, chroma not: found a block")
	}
	for i := range p.cr {
		p.cr[i] = 64 // Cb 100, Cr 64: a colour, if below black
	}
	if undecodedBlock(p) {
		t.Error("Y 0, Cr 64: found a block")
	}
}
