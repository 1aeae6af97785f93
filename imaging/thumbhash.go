package imaging

import (
	"image"
	"math"
)

// ThumbHash (evanw.github.io/thumbhash, MIT) is a placeholder of about 25 bytes: the average
// colour, the aspect ratio and a few DCT terms of luminance, two chroma channels and alpha, from
// which a client paints a blurred picture while the thumbnail loads. No Go module of it is
// served by the module proxy this project builds from, so this is a port of the reference
// encoder (js/thumbhash.js), kept to its arithmetic so that it gives the same bytes:
// TestThumbHashMatchesReference checks vectors the reference made.

// thumbHashMax is the largest picture the reference encodes; larger ones cost more and add
// nothing, as the hash keeps at most 7 terms a side.
const thumbHashMax = 100

// thumbHash returns the ThumbHash of img, which must be at most 100×100 pixels, its RGB not
// premultiplied by alpha (the same as premultiplied for an opaque picture).
func thumbHash(img *image.RGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := w * h
	pixel := func(i int) []uint8 {
		x, y := i%w, i/w
		o := y*img.Stride + 4*x
		return img.Pix[o : o+4]
	}
	// The average colour, weighted by alpha.
	var avgR, avgG, avgB, avgA float64
	for i := range n {
		p := pixel(i)
		alpha := float64(p[3]) / 255
		avgR += alpha / 255 * float64(p[0])
		avgG += alpha / 255 * float64(p[1])
		avgB += alpha / 255 * float64(p[2])
		avgA += alpha
	}
	if avgA > 0 {
		avgR /= avgA
		avgG /= avgA
		avgB /= avgA
	}
	hasAlpha := avgA < float64(n)
	lLimit := 7.0 // fewer luminance terms when alpha needs room
	if hasAlpha {
		lLimit = 5
	}
	longest := float64(max(w, h))
	lx := max(1, int(jsRound(lLimit*float64(w)/longest)))
	ly := max(1, int(jsRound(lLimit*float64(h)/longest)))

	// RGBA to LPQA (luminance, yellow-blue, red-green, alpha), over the average colour.
	l, p, q, a := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		px := pixel(i)
		alpha := float64(px[3]) / 255
		r := avgR*(1-alpha) + alpha/255*float64(px[0])
		g := avgG*(1-alpha) + alpha/255*float64(px[1])
		b := avgB*(1-alpha) + alpha/255*float64(px[2])
		l[i] = (r + g + b) / 3
		p[i] = (r+g)/2 - b
		q[i] = r - g
		a[i] = alpha
	}
	lDC, lAC, lScale := thumbHashChannel(l, w, h, max(3, lx), max(3, ly))
	pDC, pAC, pScale := thumbHashChannel(p, w, h, 3, 3)
	qDC, qAC, qScale := thumbHashChannel(q, w, h, 3, 3)
	var aDC, aScale float64
	var aAC []float64
	if hasAlpha {
		aDC, aAC, aScale = thumbHashChannel(a, w, h, 5, 5)
	}

	isLandscape := w > h
	header24 := int(jsRound(63*lDC)) | int(jsRound(31.5+31.5*pDC))<<6 | int(jsRound(31.5+31.5*qDC))<<12 |
		int(jsRound(31*lScale))<<18 | bit(hasAlpha)<<23
	side := lx
	if isLandscape {
		side = ly
	}
	header16 := side | int(jsRound(63*pScale))<<3 | int(jsRound(63*qScale))<<9 | bit(isLandscape)<<15
	hash := []byte{byte(header24), byte(header24 >> 8), byte(header24 >> 16), byte(header16), byte(header16 >> 8)}
	if hasAlpha {
		hash = append(hash, byte(int(jsRound(15*aDC))|int(jsRound(15*aScale))<<4))
	}
	start := len(hash)
	acs := [][]float64{lAC, pAC, qAC}
	if hasAlpha {
		acs = append(acs, aAC)
	}
	i := 0
	for _, ac := range acs {
		for _, f := range ac {
			if start+i/2 == len(hash) {
				hash = append(hash, 0)
			}
			hash[start+i/2] |= byte(int(jsRound(15*f)) << ((i & 1) << 2))
			i++
		}
	}
	return hash
}

// thumbHashChannel returns the DC term of a w×h channel, its AC terms (the nx×ny triangle of
// the DCT) normalised to 0..1, and their scale.
func thumbHashChannel(channel []float64, w, h, nx, ny int) (dc float64, ac []float64, scale float64) {
	// The cosines of each term along each axis, computed once rather than for every term and
	// row (the same expressions as the reference's, so the same values).
	cosines := func(n, terms int) [][]float64 {
		t := make([][]float64, terms)
		for c := range t {
			t[c] = make([]float64, n)
			for i := range n {
				t[c][i] = math.Cos(math.Pi / float64(n) * float64(c) * (float64(i) + 0.5))
			}
		}
		return t
	}
	cx, cy := cosines(w, nx), cosines(h, ny)
	for v := range ny {
		for u := 0; u*ny < nx*(ny-v); u++ {
			f := 0.0
			fx := cx[u]
			for y := range h {
				fy := cy[v][y]
				row := channel[y*w : y*w+w]
				for x := range w {
					f += row[x] * fx[x] * fy
				}
			}
			f /= float64(w * h)
			if u > 0 || v > 0 {
				ac = append(ac, f)
				scale = max(scale, math.Abs(f))
			} else {
				dc = f
			}
		}
	}
	if scale > 0 {
		for i := range ac {
			ac[i] = 0.5 + 0.5/scale*ac[i]
		}
	}
	return dc, ac, scale
}

// jsRound rounds as JavaScript's Math.round does, halves up, to give the reference's bytes.
func jsRound(x float64) float64 { return math.Floor(x + 0.5) }

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholder returns img shrunk to fit in 100×100 for the ThumbHash, by averaging the source
// pixels each output pixel covers (the hash keeps only its lowest frequencies), into w's
// buffer. A picture that fits is returned as it is.
func (w *worker) placeholder(img *image.RGBA) *image.RGBA {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	dw, dh := fit(sw, sh, thumbHashMax)
	if dw == sw && dh == sh {
		return img
	}
	w.hashed = grow(w.hashed, 4*dw*dh)
	out := &image.RGBA{Pix: w.hashed, Stride: 4 * dw, Rect: image.Rect(0, 0, dw, dh)}
	// Each row of blocks: the rows it covers added byte by byte (each byte of a column of
	// pixels is one channel's sum), then the columns of each block.
	cols := make([]uint32, 4*sw)
	for y := range dh {
		y0, y1 := y*sh/dh, max((y+1)*sh/dh, y*sh/dh+1)
		clear(cols)
		for sy := y0; sy < y1; sy++ {
			addBytes(cols, img.Pix[sy*img.Stride:sy*img.Stride+4*sw])
		}
		for x := range dw {
			x0, x1 := x*sw/dw, max((x+1)*sw/dw, x*sw/dw+1)
			var sum [4]uint32
			for c := 4 * x0; c < 4*x1; c += 4 {
				p := cols[c : c+4]
				sum[0], sum[1], sum[2], sum[3] = sum[0]+p[0], sum[1]+p[1], sum[2]+p[2], sum[3]+p[3]
			}
			cnt := uint32((y1 - y0) * (x1 - x0))
			d := out.Pix[y*out.Stride+4*x:]
			for c := range 4 {
				d[c] = uint8((sum[c] + cnt/2) / cnt)
			}
		}
	}
	return out
}
