package imaging

import "image"

// Lossy WebP (VP8) stores limited-range BT.601 YCbCr (black at Y=16, white at Y=235), but
// x/image/webp returns it as *image.YCbCr or *image.NYCbCrA, whose conversions assume JPEG's
// full range: taken as is, black comes out 16 and white 235, a washed-out picture
// (golang/go#19672, #40173). vp8ToRGBA converts it the way libwebp, and so browsers, do.

// BT.601 limited range to RGB, in 16.16 fixed point.
const (
	vp8Y     = 76309  // 255/219
	vp8RV    = 104597 // 1.596
	vp8GU    = 25675  // 0.392
	vp8GV    = 53279  // 0.813
	vp8BU    = 132201 // 2.017
	vp8Round = 1 << 15
)

// vp8ToRGBA returns the premultiplied RGBA of a decoded lossy WebP, or false when img is of
// another kind (lossless WebP decodes to NRGBA, which needs no correction).
func vp8ToRGBA(img image.Image) (*image.RGBA, bool) {
	var (
		yuv   *image.YCbCr
		alpha *image.NYCbCrA
	)
	switch v := img.(type) {
	case *image.YCbCr:
		yuv = v
	case *image.NYCbCrA:
		yuv, alpha = &v.YCbCr, v
	default:
		return nil, false
	}
	b := yuv.Rect
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		row := dst.Pix[y*dst.Stride:]
		for x := range b.Dx() {
			sx, sy := b.Min.X+x, b.Min.Y+y
			yi, ci := yuv.YOffset(sx, sy), yuv.COffset(sx, sy)
			r, g, bl := vp8Pixel(yuv.Y[yi], yuv.Cb[ci], yuv.Cr[ci])
			a := uint8(0xff)
			if alpha != nil {
				a = alpha.A[alpha.AOffset(sx, sy)]
				r, g, bl = premultiply(r, a), premultiply(g, a), premultiply(bl, a)
			}
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = r, g, bl, a
		}
	}
	return dst, true
}

func vp8Pixel(y, cb, cr uint8) (r, g, b uint8) {
	yy := vp8Y * (int32(y) - 16)
	u, v := int32(cb)-128, int32(cr)-128
	return clamp8(yy + vp8RV*v + vp8Round), clamp8(yy - vp8GU*u - vp8GV*v + vp8Round), clamp8(yy + vp8BU*u + vp8Round)
}

func clamp8(v int32) uint8 {
	return uint8(min(max(v>>16, 0), 0xff))
}

func premultiply(c, a uint8) uint8 {
	return uint8((uint32(c)*uint32(a) + 127) / 255)
}
