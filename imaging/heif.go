package imaging

import (
	"fmt"
	"image"
)

// HEIC and AVIF are HEIF files (ISO/IEC 23008-12): a container of items, one of them the
// primary image, coded with HEVC or AV1, possibly as a grid of tiles, with an alpha plane, a
// depth map or thumbnails beside it. Builds with cgo decode them with libheif (heif_cgo.go);
// builds without it refuse them, naming the reason (heif_std.go). Both read the container
// themselves first (heifbox.go), for the pixel limit and the memory budget.
//
// Orientation: a HEIF image carries its own crop, rotation and mirror (clap, irot, imir), which
// libheif applies while decoding, and it is the only one applied. The EXIF block a HEIF file
// may also hold is not read (orientation returns 1): iPhones write an EXIF orientation that
// repeats irot, and applying both would turn the picture twice.

// heifHeader reads the container of a HEIC or AVIF file and returns the size its primary image
// is shown at, after its crop and rotation.
func heifHeader(f format, data []byte) (image.Config, error) {
	info, err := parseHEIF(f, data)
	if err != nil {
		return image.Config{}, err
	}
	size, err := heifShownSize(f, data, info)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{Width: size.X, Height: size.Y}, nil
}

// storedSize is the size of src that the pixel limit is checked against: the pixels the
// decoder makes. For HEIF that is the primary image's ispe, which a crop (clap) may make
// larger than the size readHeader returns; for the other formats it is hdr's.
func storedSize(f format, src []byte, hdr image.Config) (int, int) {
	if f == formatHEIC || f == formatAVIF {
		if info, err := parseHEIF(f, src); err == nil {
			return info.size.X, info.size.Y
		}
	}
	return hdr.Width, hdr.Height
}

// heifCost is the memory, in bytes, decoding a HEIF file of that container takes at most:
// libheif's pictures while it decodes (the codec's YCbCr planes, its RGB conversion, the
// alpha plane, a rotated copy), the RGBA copy Go gets, and the resize's. heifBytesPerPixel
// says how much per pixel of the ispe, measured (see there). The direct HEVC path
// (heif_de265.go) holds less, libde265's YCbCr planes and for a grid a copy of them put
// together (3 bytes a pixel at 4:2:0, 6 at 4:4:4; measured 2.5 above a tiny file's peak), but
// the charge stays libheif's: a picture the direct path gives up on is decoded by libheif next.
func heifCost(info heifInfo) int64 {
	perPixel := int64(heifBytesPerPixel)
	if info.depth > 8 {
		perPixel += heifDeepExtra
	}
	if info.alpha {
		perPixel += heifAlphaExtra
	}
	return int64(info.size.X) * int64(info.size.Y) * perPixel
}

// heifDecodeCost is decodeCost for HEIC and AVIF.
func heifDecodeCost(f format, src []byte) int64 {
	info, err := parseHEIF(f, src)
	if err != nil {
		return 0 // refused before decoding
	}
	return heifCost(info)
}

// heifRefusal words the refusal of a HEIF file that this build cannot decode.
func heifRefusal(f format, info heifInfo, why string) error {
	return fmt.Errorf("%w: %s image (%s, %dx%d), which %s", ErrUnsupportedFormat,
		f.withArticle(), info.codec, info.size.X, info.size.Y, why)
}

// Memory per pixel of the ispe that decoding a HEIF image takes, in bytes: the peak resident
// memory of thumbnails of 12 MP files with libheif 1.15, rounded up (ARCHITECTURE.md, HEIF).
const (
	heifBytesPerPixel = 12 // 8-bit, opaque
	heifDeepExtra     = 8  // 10- and 12-bit: 16-bit planes until libheif brings them to 8 bits
	heifAlphaExtra    = 4  // the alpha image, its plane and RGBA instead of RGB
)
