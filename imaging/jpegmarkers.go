package imaging

// jpegSegments calls fn for each marker segment of a JPEG before its first scan (the start of
// scan included), with the marker and the segment's payload, until fn returns false. See
// walkJPEG.
func jpegSegments(data []byte, fn func(marker byte, payload []byte) bool) {
	walkJPEG(data, func(marker byte, payload []byte) bool {
		return fn(marker, payload) && marker != 0xda
	})
}

// jpegComponents returns the number of colour components its start-of-frame marker announces
// (1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK), or 0 if there is none.
func jpegComponents(data []byte) int {
	return len(inspectJPEG(data).components)
}
