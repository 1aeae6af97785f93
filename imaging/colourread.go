package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
)

// The readers below find how a source declares the colour space of its pixels, in every format
// that can: an ICC profile (JPEG APP2, PNG iCCP, WebP ICCP, TIFF tag 34675, HEIF colr "prof"),
// or a description by primaries and transfer function (HEIF colr "nclx", PNG cICP, cHRM and
// gAMA), turned into the ICC profile of the same space. Like the other header readers they
// check every length against the data and allocate no more than a profile's bound; whatever
// they cannot read is a declaration ignored, with the reason, never an error of the photo.

// pixelKind is what the decoder gives for a source: colour, grey (three equal channels) or
// CMYK (JPEG only, converted while decoding).
type pixelKind int

const (
	rgbPixels pixelKind = iota
	greyPixels
	cmykPixels
)

// colourSource is a source's declaration of its colour space.
type colourSource struct {
	// icc is the ICC profile to convert from: embedded, or made from a description.
	icc []byte
	// label names what the source declared, for Thumbnail.Colour; "" when it declared nothing.
	label string
	// ignored says why a declaration cannot be used; the pixels are then taken as sRGB.
	ignored string
	pixels  pixelKind
}

// readColour reads the colour declaration of a source of format f; j is its JPEG structure.
func readColour(f format, src []byte, j *jpegInfo) colourSource {
	switch f {
	case formatJPEG:
		return jpegColour(j)
	case formatPNG:
		return pngColour(src)
	case formatWebP:
		return iccSource(webpICC(src), rgbPixels)
	case formatTIFF:
		icc, grey := tiffProfile(src)
		kind := rgbPixels
		if grey {
			kind = greyPixels
		}
		return iccSource(icc, kind)
	case formatHEIC, formatAVIF:
		return heifColour(f, src)
	}
	return colourSource{}
}

// iccSource is the declaration of an embedded profile, or of none.
func iccSource(icc []byte, kind pixelKind) colourSource {
	if icc == nil {
		return colourSource{pixels: kind}
	}
	return colourSource{icc: icc, label: "ICC profile", pixels: kind}
}

// jpegColour assembles the ICC profile of a JPEG: APP2 segments "ICC_PROFILE\0", each with its
// sequence number (from 1) and the count of segments, whose payloads joined in sequence order
// make the profile.
func jpegColour(j *jpegInfo) colourSource {
	kind := rgbPixels
	switch len(j.components) {
	case 1:
		kind = greyPixels
	case 4:
		kind = cmykPixels
	}
	if len(j.iccChunks) == 0 {
		return colourSource{pixels: kind}
	}
	s := colourSource{label: "ICC profile", pixels: kind}
	count := int(j.iccChunks[0][1])
	if count == 0 || count != len(j.iccChunks) {
		s.ignored = fmt.Sprintf("its ICC profile is in %d JPEG segments, which say %d", len(j.iccChunks), count)
		return s
	}
	parts := make([][]byte, count)
	size := 0
	for _, c := range j.iccChunks {
		seq := int(c[0])
		if int(c[1]) != count || seq < 1 || seq > count || parts[seq-1] != nil {
			s.ignored = "its ICC profile's JPEG segments are numbered wrong"
			return s
		}
		parts[seq-1] = c[2:]
		size += len(c) - 2
	}
	if size > maxProfileBytes {
		s.ignored = fmt.Sprintf("its ICC profile is %d bytes, more than the %d read", size, maxProfileBytes)
		return s
	}
	s.icc = bytes.Join(parts, nil)
	return s
}

// pngColour reads the chunks before the pixels: cICP, iCCP, sRGB, cHRM and gAMA, which apply
// in that order of precedence (PNG, third edition, 11.3.2).
func pngColour(src []byte) colourSource {
	var chunks = map[string][]byte{}
	s := colourSource{}
	const ihdrEnd = 8 + 8 + 13 + 4
	if len(src) >= ihdrEnd {
		switch src[8+8+9] { // colour type
		case 0, 4:
			s.pixels = greyPixels
		}
	}
	for pos := 8; pos+8 <= len(src); {
		n := uint64(binary.BigEndian.Uint32(src[pos:]))
		typ := string(src[pos+4 : pos+8])
		end := uint64(pos) + 12 + n
		if typ == "IDAT" || end > uint64(len(src)) {
			break
		}
		if _, seen := chunks[typ]; !seen {
			chunks[typ] = src[pos+8 : pos+8+int(n)]
		}
		pos = int(end)
	}
	switch {
	case chunks["cICP"] != nil:
		c := chunks["cICP"]
		if len(c) < 4 {
			return s
		}
		return cicpSource(s, "PNG cICP", int(c[0]), int(c[1]))
	case chunks["iCCP"] != nil:
		s.label = "ICC profile"
		icc, err := pngICC(chunks["iCCP"])
		if err != nil {
			s.ignored = "its iCCP chunk: " + err.Error()
			return s
		}
		s.icc = icc
		return s
	case chunks["sRGB"] != nil:
		s.label = "PNG sRGB"
		return s
	case chunks["cHRM"] != nil || chunks["gAMA"] != nil:
		return pngChromaSource(s, chunks["cHRM"], chunks["gAMA"])
	}
	return s
}

// pngICC inflates an iCCP chunk: a name, a NUL, the compression method (0) and zlib data.
func pngICC(c []byte) ([]byte, error) {
	name, rest, ok := bytes.Cut(c, []byte{0})
	if !ok || len(name) > 79 || len(rest) < 1 || rest[0] != 0 {
		return nil, fmt.Errorf("not a profile name and zlib data")
	}
	z, err := zlib.NewReader(bytes.NewReader(rest[1:]))
	if err != nil {
		return nil, err
	}
	icc, err := io.ReadAll(io.LimitReader(z, maxProfileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(icc) > maxProfileBytes {
		return nil, fmt.Errorf("a profile of more than %d bytes", maxProfileBytes)
	}
	return icc, nil
}

// pngChromaSource is the space of a PNG's cHRM (white and primaries, sRGB's when absent) and
// gAMA (the encoding exponent, sRGB's curve when absent), as browsers read them.
func pngChromaSource(s colourSource, chrm, gama []byte) colourSource {
	s.label = "PNG cHRM/gAMA"
	p, curve := bt709, srgbCurve
	if chrm != nil {
		if len(chrm) < 32 {
			s.ignored = "its cHRM chunk is cut short"
			return s
		}
		v := func(i int) float64 { return float64(binary.BigEndian.Uint32(chrm[4*i:])) / 100000 }
		p = primaries{w: xy{v(0), v(1)}, r: xy{v(2), v(3)}, g: xy{v(4), v(5)}, b: xy{v(6), v(7)}}
	}
	if gama != nil {
		if len(gama) < 4 || binary.BigEndian.Uint32(gama) == 0 {
			s.ignored = "its gAMA chunk is not a gamma"
			return s
		}
		curve = paraCurve{g: 100000 / float64(binary.BigEndian.Uint32(gama)), a: 1}
	}
	return spaceSource(s, p, curve)
}

// spaceSource makes the profile of a space described by primaries and a curve; for grey
// pixels, of the curve alone (greys stay grey).
func spaceSource(s colourSource, p primaries, c paraCurve) colourSource {
	if s.pixels == greyPixels {
		s.icc = greyProfile(c, s.label)
		return s
	}
	if s.icc = rgbProfile(p, c, s.label); s.icc == nil {
		s.ignored = "its primaries do not make a colour space"
	}
	return s
}

// cicpSource is the space of ITU-T H.273 colour primaries and transfer characteristics, as
// HEIF's nclx box and PNG's cICP chunk give them. Unspecified (2) is taken as sRGB's.
func cicpSource(s colourSource, what string, prim, transfer int) colourSource {
	s.label = fmt.Sprintf("%s (primaries %d, transfer %d)", what, prim, transfer)
	spaces := map[int]primaries{1: bt709, 2: bt709, 4: bt470M, 5: bt601_625, 6: smpte170M, 7: smpte170M,
		9: bt2020, 11: dciP3, 12: displayP3, 22: ebu3213}
	curves := map[int]paraCurve{1: bt709Curve, 2: srgbCurve, 4: {g: 2.2, a: 1}, 5: {g: 2.8, a: 1},
		6: bt709Curve, 8: {g: 1, a: 1}, 13: srgbCurve, 14: bt709Curve, 15: bt709Curve}
	p, ok := spaces[prim]
	if !ok {
		s.ignored = fmt.Sprintf("colour primaries %d are not converted", prim)
		return s
	}
	c, ok := curves[transfer]
	switch {
	case transfer == 16 || transfer == 18:
		s.ignored = fmt.Sprintf("transfer %d is HDR (PQ or HLG), which is not tone-mapped", transfer)
		return s
	case !ok:
		s.ignored = fmt.Sprintf("transfer characteristics %d are not converted", transfer)
		return s
	case p == bt709 && c == srgbCurve:
		return s // sRGB: nothing to do
	}
	return spaceSource(s, p, c)
}

// webpICC returns the payload of a WebP's ICCP chunk, or nil.
func webpICC(src []byte) []byte {
	if len(src) < 12 {
		return nil
	}
	size := min(uint64(binary.LittleEndian.Uint32(src[4:]))+8, uint64(len(src)))
	for pos := uint64(12); pos+8 <= size; {
		n := uint64(binary.LittleEndian.Uint32(src[pos+4:]))
		if pos+8+n > size {
			return nil
		}
		if string(src[pos:pos+4]) == "ICCP" {
			return src[pos+8 : pos+8+n]
		}
		pos += 8 + n + n&1 // chunks are padded to an even length
	}
	return nil
}

// heifColour reads the primary image's colr properties: an ICC profile ("prof", or "rICC", a
// restricted one) comes before a nclx description when a file has both, as libheif and
// browsers take it.
func heifColour(f format, src []byte) colourSource {
	info, err := parseHEIF(f, src)
	if err != nil {
		return colourSource{}
	}
	if info.icc != "" {
		return iccSource([]byte(info.icc), rgbPixels)
	}
	nclx := info.nclx
	if len(nclx) < 4 {
		return colourSource{}
	}
	return cicpSource(colourSource{}, "nclx", int(nclx[0])<<8|int(nclx[1]), int(nclx[2])<<8|int(nclx[3]))
}
