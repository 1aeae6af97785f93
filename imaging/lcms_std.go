//go:build !cgo || purego || nolcms

package imaging

import "errors"

// ColourEngine names what converts colour profiles to sRGB, for `photoproc version`: Little
// CMS and its version with cgo; the pure-Go matrix/TRC converter without (CGO_ENABLED=0, or the
// purego or nolcms tag).
func ColourEngine() string {
	return "pure Go (matrix/TRC and grey profiles; CMYK and other LUT-based profiles are not converted)"
}

// lcmsBuilt says Little CMS converts profiles in this build.
const lcmsBuilt = false

// colourBuildCost: the pure-Go converter's tables take 3 KB, and the sRGB encoding table
// (64 KB) is shared.
const colourBuildCost = 0

// errNeedsLCMS is why this build converts no CMYK or LUT-based profile.
var errNeedsLCMS = errors.New("a CMYK or LUT-based profile needs Little CMS, which this build of photoproc lacks")

// newConverter converts, for want of Little CMS, the profiles of both a matrix/TRC model and
// tables by their matrix (lcms would use the tables, which usually describe the same space).
// Other profiles (CMYK, printers, RGB of tables alone) keep what builds did before profiles were
// read: the pixels are taken as sRGB, and CMYK goes through the naive conversion (cmyk.go).
func newConverter(p *iccProfile, _ []byte, pixels pixelKind) (pixelConverter, int64, error) {
	switch {
	case pixels == cmykPixels:
		return nil, 0, errNeedsLCMS
	case p.rgb != nil:
		return newMatrixTransform(p.rgb), 0, nil
	case p.grey != nil:
		return newGreyTransform(p.grey), 0, nil
	}
	return nil, 0, errNeedsLCMS
}
