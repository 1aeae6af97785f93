package imaging

import "strings"

// turboWarning reports whether libjpeg-turbo's message text, from a decode that warned, names
// a warning after which the picture is whole, so that the thumbnail is made.
//
// A warning means libjpeg-turbo met something non-conforming and went on. Where that was the
// picture data itself (it ends early; a Huffman code, an arithmetic code or a restart marker
// is wrong), the rest is painted grey: the photo is refused as damaged, as image/jpeg refuses
// it in the pure-Go build. Where it was around the picture (bytes between markers, an unknown
// JFIF version, odd scan parameters, a repeated scan, an unknown Adobe transform, a bad ICC
// marker), the picture is whole and image/jpeg accepts it too. Anything not on this list is
// refused. TurboJPEG keeps the first warning's text, or the text of a fatal error that came
// after it, so a fatal error is never taken for a warning; a damaged scan after a harmless
// warning is (the thumbnail then shows grey), which is no worse than what browsers show.
func turboWarning(text string) bool {
	for _, harmless := range []string{
		"extraneous bytes before marker",             // JWRN_EXTRANEOUS_DATA
		"unknown JFIF revision number",               // JWRN_JFIF_MAJOR
		"Invalid SOS parameters for sequential JPEG", // JWRN_NOT_SEQUENTIAL
		"Inconsistent progression sequence",          // JWRN_BOGUS_PROGRESSION
		"Unknown Adobe color transform code",         // JWRN_ADOBE_XFORM
		"Corrupt JPEG data: bad ICC marker",          // JWRN_BOGUS_ICC
	} {
		if strings.Contains(text, harmless) {
			return true
		}
	}
	return false
}
