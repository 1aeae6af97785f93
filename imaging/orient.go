package imaging

import "image"

// orient returns src turned upright for EXIF orientation o (1..8), in buf's array when it is
// large enough, and that array. It runs on the thumbnail, after resizing, where it costs a copy
// of a few hundred kilobytes instead of megabytes.
func orient(buf []uint8, src *image.RGBA, o int) (*image.RGBA, []uint8) {
	if o < 2 || o > 8 {
		return src, buf
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if swapsAxes(o) {
		dw, dh = h, w
	}
	buf = grow(buf, 4*dw*dh)
	dst := &image.RGBA{Pix: buf, Stride: 4 * dw, Rect: image.Rect(0, 0, dw, dh)}
	for y := range dh {
		row := dst.Pix[y*dst.Stride:]
		for x := range dw {
			sx, sy := storedPoint(o, x, y, w, h)
			s := src.PixOffset(sx+src.Rect.Min.X, sy+src.Rect.Min.Y)
			copy(row[4*x:4*x+4], src.Pix[s:s+4])
		}
	}
	return dst, buf
}

// storedPoint maps pixel (x, y) of the upright picture to the stored w×h picture. The eight
// cases are the EXIF definitions: 2 mirrored, 3 turned 180°, 4 flipped, 5 transposed, 6 turned
// 90° clockwise to show, 7 transversed, 8 turned 90° counter-clockwise to show.
func storedPoint(o, x, y, w, h int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return y, h - 1 - x
	case 7:
		return w - 1 - y, h - 1 - x
	case 8:
		return w - 1 - y, x
	}
	return x, y
}
