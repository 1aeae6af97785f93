package imaging

// jpegSegments calls fn for each marker segment of a JPEG before its first scan (the start of
// scan included), with the marker and the segment's payload, until fn returns false. See
// walkJPEG.
func jpegSegments(data []byte, fn func(marker byte, payload []byte) bool) {
	walkJPEG(data, func(marker byte, payload []byte) bool {
		return fn(marker, payload) && marker != 0xda
	})
}
