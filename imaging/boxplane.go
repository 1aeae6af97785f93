package imaging

import "image"

// averagePlane sets dst[y*w+x], for a w×h grid, to the mean of block (x, y) of plane, a picture
// of size with one byte a sample and rows stride bytes apart, rounded to the nearest level:
// block x covers the columns x·size.X/w to (x+1)·size.X/w, block y the rows alike (heifShrink's
// blocks). w and h must be at least 1 and at most size.X and size.Y. It is the box average of
// pictures from decoders that cannot scale (libheif): the rows of a row of blocks are added
// column by column, a tight loop over bytes, then the columns of each block. (Adding eight
// samples a step in 16-bit lanes, and dividing by multiplications, measured within 5 % of this
// on a 12 MP plane: the loop is bound by reading the plane.)
func averagePlane(dst []uint8, w, h int, plane []byte, stride int, size image.Point) {
	edges := blockEdges(size.X, w)
	cols := make([]uint32, size.X)
	for y := range h {
		top, bottom := y*size.Y/h, (y+1)*size.Y/h
		clear(cols)
		for sy := top; sy < bottom; sy++ {
			addBytes(cols, plane[sy*stride:sy*stride+size.X])
		}
		out := dst[y*w : y*w+w]
		for x := range out {
			var sum uint32
			for _, v := range cols[edges[x]:edges[x+1]] {
				sum += v
			}
			n := uint32((bottom - top) * (edges[x+1] - edges[x]))
			out[x] = uint8((sum + n/2) / n)
		}
	}
}

// addBytes adds row to sums, element by element, four a step.
func addBytes(sums []uint32, row []byte) {
	row = row[:len(sums)]
	i := 0
	for ; i+4 <= len(row); i += 4 {
		s, r := sums[i:i+4], row[i:i+4]
		s[0] += uint32(r[0])
		s[1] += uint32(r[1])
		s[2] += uint32(r[2])
		s[3] += uint32(r[3])
	}
	for ; i < len(row); i++ {
		sums[i] += uint32(row[i])
	}
}

// blockEdges divides n samples into blocks as even as they can be: block x covers samples
// edges[x] to edges[x+1].
func blockEdges(n, blocks int) []int {
	edges := make([]int, blocks+1)
	for x := range edges {
		edges[x] = x * n / blocks
	}
	return edges
}
