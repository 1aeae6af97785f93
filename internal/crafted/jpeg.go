package crafted

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"math"
)

// JPEGOptions shape a progressive JPEG.
type JPEGOptions struct {
	// Subsampling is the chroma subsampling: "4:2:0" (the default, as cameras write) or
	// "4:4:4" (chroma at full size, the most coefficient memory per pixel).
	Subsampling string
	// DCOnly paints each 8x8 block in the colour of its top-left pixel (AC coefficients are
	// zero). Encoding is then cheap at any size and the file small, while a decoder still keeps
	// every coefficient: the file for tests of memory.
	DCOnly bool
	// Scale enlarges img by this whole factor (nearest neighbour) without materialising the
	// enlarged picture, so that a small photo makes a 48 MP file; 0 means 1.
	Scale int
	// RepeatScan is how many more times the smallest scan, with the Huffman tables before it,
	// is repeated before the end of the image. Every repeat costs a decoder another pass over
	// the picture's blocks.
	RepeatScan int
}

// ProgressiveJPEG encodes img as a progressive JPEG (SOF2) with spectral selection: one DC scan
// of all components, then one AC scan per component, as libjpeg's simplest progression does.
func ProgressiveJPEG(img image.Image, o JPEGOptions) []byte {
	e := newEncoder(img, o)
	var out bytes.Buffer
	out.Write([]byte{0xff, 0xd8})
	segment(&out, 0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	segment(&out, 0xdb, append([]byte{0}, quant[:]...))
	out.Write(e.sof())
	tables := e.tables()
	out.Write(tables)
	scans := [][]byte{e.dcScan()}
	for c := range e.comps {
		scans = append(scans, e.acScan(c))
	}
	smallest := 0
	for i, s := range scans {
		out.Write(s)
		if len(s) < len(scans[smallest]) {
			smallest = i
		}
	}
	for range o.RepeatScan {
		out.Write(tables)
		out.Write(scans[smallest])
	}
	out.Write([]byte{0xff, 0xd9})
	return out.Bytes()
}

// quant is the quantization table, in zigzag order: the luminance table of the JPEG standard
// (Annex K) at about quality 90.
var quant = func() (q [64]byte) {
	std := [64]int{16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22,
		24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69,
		55, 56, 80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92,
		101, 103, 99}
	for i, v := range std {
		q[i] = byte(max(1, (v+2)/5))
	}
	return q
}()

// zigzag maps a zigzag index to its position in the 8x8 block, row by row.
var zigzag = [64]int{0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48,
	41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37,
	44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63}

type component struct {
	h, v       int         // sampling factors
	blocksW    int         // blocks across in an interleaved scan (padded to whole MCUs)
	blocksH    int         // and down
	ownW, ownH int         // blocks a scan of this component alone covers
	dc         []int       // quantized DC coefficient by block, row-major over blocksW
	ac         [][63]int16 // quantized AC coefficients in zigzag order; nil when DC only
}

type encoder struct {
	src        image.Image
	scale      int
	w, h       int
	hmax, vmax int
	mcuW, mcuH int
	comps      []*component
}

func newEncoder(img image.Image, o JPEGOptions) *encoder {
	b := img.Bounds()
	e := &encoder{src: img, scale: max(o.Scale, 1)}
	e.w, e.h = b.Dx()*e.scale, b.Dy()*e.scale
	lumaH, lumaV := 2, 2
	if o.Subsampling == "4:4:4" {
		lumaH, lumaV = 1, 1
	}
	e.comps = []*component{{h: lumaH, v: lumaV}, {h: 1, v: 1}, {h: 1, v: 1}}
	e.hmax, e.vmax = lumaH, lumaV
	e.mcuW, e.mcuH = ceilDiv(e.w, 8*e.hmax), ceilDiv(e.h, 8*e.vmax)
	for ci, c := range e.comps {
		c.blocksW, c.blocksH = e.mcuW*c.h, e.mcuH*c.v
		c.ownW, c.ownH = ceilDiv(ceilDiv(e.w*c.h, e.hmax), 8), ceilDiv(ceilDiv(e.h*c.v, e.vmax), 8)
		c.dc = make([]int, c.blocksW*c.blocksH)
		if !o.DCOnly {
			c.ac = make([][63]int16, len(c.dc))
		}
		e.transform(ci, c)
	}
	return e
}

// sample is component ci at (x, y) of its own grid, level-shifted: the mean over the pixels
// it covers (chroma may cover 2x2), edges repeated into the padding.
func (e *encoder) sample(ci int, c *component, x, y int) float64 {
	sx, sy := e.hmax/c.h, e.vmax/c.v
	var sum float64
	for dy := range sy {
		for dx := range sx {
			sum += e.pixel(ci, x*sx+dx, y*sy+dy)
		}
	}
	return sum/float64(sx*sy) - 128
}

// pixel is component ci (Y, Cb or Cr) of the enlarged picture at (x, y).
func (e *encoder) pixel(ci, x, y int) float64 {
	b := e.src.Bounds()
	x, y = min(x, e.w-1)/e.scale, min(y, e.h-1)/e.scale
	r, g, bl, _ := e.src.At(b.Min.X+x, b.Min.Y+y).RGBA()
	yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
	return float64([3]uint8{yy, cb, cr}[ci])
}

var cosTable = func() (t [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			t[x][u] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
		}
	}
	return t
}()

// transform computes the quantized DCT of every block of component ci.
func (e *encoder) transform(ci int, c *component) {
	for by := range c.blocksH {
		for bx := range c.blocksW {
			i := by*c.blocksW + bx
			if c.ac == nil {
				c.dc[i] = int(math.Round(8 * e.sample(ci, c, 8*bx, 8*by) / float64(quant[0])))
				continue
			}
			var f, rows [64]float64
			for y := range 8 {
				for x := range 8 {
					f[8*y+x] = e.sample(ci, c, 8*bx+x, 8*by+y)
				}
			}
			for y := range 8 {
				for u := range 8 {
					var s float64
					for x := range 8 {
						s += f[8*y+x] * cosTable[x][u]
					}
					rows[8*y+u] = s
				}
			}
			for z := range 64 {
				pos := zigzag[z]
				u, v := pos%8, pos/8
				var s float64
				for y := range 8 {
					s += rows[8*y+u] * cosTable[y][v]
				}
				q := int(math.Round(s * 0.25 * alpha(u) * alpha(v) / float64(quant[z])))
				if z == 0 {
					c.dc[i] = q
				} else {
					c.ac[i][z-1] = int16(q)
				}
			}
		}
	}
}

func alpha(u int) float64 {
	if u == 0 {
		return 1 / math.Sqrt2
	}
	return 1
}

func (e *encoder) sof() []byte {
	p := []byte{8, byte(e.h >> 8), byte(e.h), byte(e.w >> 8), byte(e.w), byte(len(e.comps))}
	for i, c := range e.comps {
		p = append(p, byte(i+1), byte(c.h<<4|c.v), 0)
	}
	var b bytes.Buffer
	segment(&b, 0xc2, p)
	return b.Bytes()
}

// Huffman tables: every DC category has a 4-bit code; every AC symbol a progressive scan can
// use (run/size pairs, ZRL, and end-of-band runs EOB0..EOB14) an 8-bit code. Wasteful, but
// simple, and valid for any picture.
var (
	dcSymbols = func() (s []byte) {
		for i := range 12 {
			s = append(s, byte(i))
		}
		return s
	}()
	acSymbols = func() (s []byte) {
		for r := range 16 {
			for size := 1; size <= 10; size++ {
				s = append(s, byte(r<<4|size))
			}
		}
		s = append(s, 0xf0)
		for n := range 15 {
			s = append(s, byte(n<<4))
		}
		return s
	}()
)

func (e *encoder) tables() []byte {
	var b bytes.Buffer
	for _, t := range []struct {
		class   byte
		symbols []byte
		bits    int
	}{{0x00, dcSymbols, 4}, {0x10, acSymbols, 8}} {
		p := []byte{t.class}
		var counts [16]byte
		counts[t.bits-1] = byte(len(t.symbols))
		p = append(append(p, counts[:]...), t.symbols...)
		segment(&b, 0xc4, p)
	}
	return b.Bytes()
}

// code returns the Huffman code of sym in a table where every symbol has the same length.
func code(symbols []byte, sym byte) uint32 {
	return uint32(bytes.IndexByte(symbols, sym))
}

func (e *encoder) sos(comps []int, ss, se int) []byte {
	p := []byte{byte(len(comps))}
	for _, c := range comps {
		p = append(p, byte(c+1), 0x00)
	}
	p = append(p, byte(ss), byte(se), 0)
	var b bytes.Buffer
	segment(&b, 0xda, p)
	return b.Bytes()
}

func (e *encoder) dcScan() []byte {
	w := &bitWriter{}
	pred := make([]int, len(e.comps))
	for my := range e.mcuH {
		for mx := range e.mcuW {
			for ci, c := range e.comps {
				for v := range c.v {
					for h := range c.h {
						dc := c.dc[(my*c.v+v)*c.blocksW+mx*c.h+h]
						diff := dc - pred[ci]
						pred[ci] = dc
						size, bits := magnitude(diff)
						w.write(code(dcSymbols, byte(size)), 4)
						w.write(bits, size)
					}
				}
			}
		}
	}
	all := make([]int, len(e.comps))
	for i := range all {
		all[i] = i
	}
	return append(e.sos(all, 0, 0), w.finish()...)
}

func (e *encoder) acScan(ci int) []byte {
	c := e.comps[ci]
	w := &bitWriter{}
	eobrun := 0
	flush := func() {
		if eobrun == 0 {
			return
		}
		n := bitsLen(eobrun) - 1
		w.write(code(acSymbols, byte(n<<4)), 8)
		w.write(uint32(eobrun-1<<n), n)
		eobrun = 0
	}
	for by := range c.ownH {
		for bx := range c.ownW {
			var blk [63]int16
			if c.ac != nil {
				blk = c.ac[by*c.blocksW+bx]
			}
			run := 0
			for z := 1; z < 64; z++ {
				if blk[z-1] == 0 {
					run++
					continue
				}
				flush()
				for ; run > 15; run -= 16 {
					w.write(code(acSymbols, 0xf0), 8)
				}
				size, bits := magnitude(int(blk[z-1]))
				w.write(code(acSymbols, byte(run<<4|size)), 8)
				w.write(bits, size)
				run = 0
			}
			if run > 0 {
				if eobrun++; eobrun == 0x7fff {
					flush()
				}
			}
		}
	}
	flush()
	return append(e.sos([]int{ci}, 1, 63), w.finish()...)
}

// magnitude returns the JPEG size category of v and its extra bits.
func magnitude(v int) (int, uint32) {
	a := max(v, -v)
	size := bitsLen(a)
	if v < 0 {
		v += 1<<size - 1
	}
	return size, uint32(v)
}

func bitsLen(v int) int {
	n := 0
	for ; v > 0; v >>= 1 {
		n++
	}
	return n
}

type bitWriter struct {
	out   []byte
	acc   uint32
	nbits int
}

func (w *bitWriter) write(bits uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | bits>>i&1
		if w.nbits++; w.nbits == 8 {
			w.emit(byte(w.acc))
			w.acc, w.nbits = 0, 0
		}
	}
}

func (w *bitWriter) emit(b byte) {
	w.out = append(w.out, b)
	if b == 0xff {
		w.out = append(w.out, 0) // byte stuffing
	}
}

// finish pads the last byte with ones, as the standard asks.
func (w *bitWriter) finish() []byte {
	if w.nbits > 0 {
		w.write(1<<(8-w.nbits)-1, 8-w.nbits)
	}
	return w.out
}

func segment(b *bytes.Buffer, marker byte, payload []byte) {
	b.Write([]byte{0xff, marker})
	_ = binary.Write(b, binary.BigEndian, uint16(len(payload)+2))
	b.Write(payload)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
