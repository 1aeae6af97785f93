package imaging

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"
)

// TestAveragePlane checks averagePlane against the plain mean of each block, on noise and on a
// plane of 255, at widths that are and are not multiples of 4, blocks of one sample, blocks of
// hundreds of rows, and strides wider than the plane.
func TestAveragePlane(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct{ sw, sh, w, h, pad int }{
		{64, 48, 32, 24, 0}, {61, 41, 20, 13, 3}, {4032, 7, 504, 1, 0}, {7, 9, 7, 9, 1},
		{9, 600, 2, 1, 5}, {17, 515, 3, 2, 0}, {1, 1, 1, 1, 0}, {100, 100, 11, 9, 8},
	} {
		for _, fill := range []func() uint8{func() uint8 { return uint8(rng.IntN(256)) }, func() uint8 { return 0xff }} {
			size, stride := image.Pt(tc.sw, tc.sh), tc.sw+tc.pad
			plane := make([]byte, stride*tc.sh)
			for i := range plane {
				plane[i] = fill()
			}
			want := make([]uint8, tc.w*tc.h)
			for y := range tc.h {
				for x := range tc.w {
					var sum, n int
					for sy := y * tc.sh / tc.h; sy < (y+1)*tc.sh/tc.h; sy++ {
						for sx := x * tc.sw / tc.w; sx < (x+1)*tc.sw/tc.w; sx++ {
							sum += int(plane[sy*stride+sx])
							n++
						}
					}
					want[y*tc.w+x] = uint8((sum + n/2) / n)
				}
			}
			got := make([]uint8, tc.w*tc.h)
			averagePlane(got, tc.w, tc.h, plane, stride, size)
			if !bytes.Equal(got, want) {
				t.Errorf("%dx%d onto %dx%d: the block means differ from the plain ones", tc.sw, tc.sh, tc.w, tc.h)
			}
		}
	}
}
