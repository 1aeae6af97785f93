package imaging

// unsupportedFeature names what a file of format f uses that its decoder does not decode, or
// returns "" when the decoder takes it. It is asked before decoding, from the headers alone,
// so that a well-formed file is refused as unsupported, saying what it uses, rather than
// reported damaged by a decoder that misreads it or named only by a decoder's terse error.
func unsupportedFeature(f format, data []byte) string {
	switch f {
	case formatBMP:
		return bmpUnsupported(data)
	case formatTIFF:
		return tiffUnsupported(data)
	case formatWebP:
		// x/image/webp decodes no animation; a GIF's first frame is shown, but a WebP's frames
		// are stored apart from its canvas and would need compositing.
		if isAnimatedWebP(data) {
			return "an animated WebP"
		}
	}
	return ""
}
