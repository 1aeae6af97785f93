package imaging

// cmykToRGBA turns, in place, CMYK pixels as libjpeg writes them for Adobe CMYK and YCCK JPEGs
// (inks inverted: 255 is no ink) into opaque RGBA, with the arithmetic of image/jpeg followed
// by image/draw (color.CMYKToRGB), so that both builds make the same colours.
func cmykToRGBA(pix []byte) {
	for i := 0; i+3 < len(pix); i += 4 {
		// image/jpeg stores 255-v for each ink; CMYKToRGB computes
		// (0xffff - c·0x101) · (0xffff - k·0x101) / 0xffff, which with c = 255-v is v·0x101.
		k := uint32(pix[i+3]) * 0x101
		for j := range 3 {
			pix[i+j] = uint8(uint32(pix[i+j]) * 0x101 * k / 0xffff >> 8)
		}
		pix[i+3] = 255
	}
}
