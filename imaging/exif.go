package imaging

import (
	"bytes"
	"encoding/binary"
)

// The EXIF reader below reads one number, the orientation, from outside input. It checks every
// offset against the data, visits each byte at most once (offsets only move forward, and only
// IFD0 is read: no IFD chains, no pointers followed back), and answers 1 for anything
// malformed: a photo shown unrotated beats no photo.

const (
	exifHeader     = "Exif\x00\x00"
	tagOrientation = 0x0112
	typeShort      = 3
	typeLong       = 4
)

// orientation returns the EXIF orientation (1..8) recorded in data of format f, or 1 when
// there is none or it cannot be read.
func orientation(f format, data []byte) int {
	switch f {
	case formatJPEG:
		return tiffOrientation(jpegExif(data))
	case formatTIFF:
		return tiffOrientation(data)
	case formatWebP:
		return tiffOrientation(webpExif(data))
	case formatPNG:
		return tiffOrientation(pngExif(data))
	}
	return 1
}

// swapsAxes reports whether orientation o turns the stored picture by 90°, so that it is shown
// with width and height exchanged.
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }

// jpegExif returns the TIFF structure in the first "Exif" APP1 segment of a JPEG, or nil.
func jpegExif(data []byte) []byte {
	var tiff []byte
	jpegSegments(data, func(marker byte, payload []byte) bool {
		if marker == 0xe1 && bytes.HasPrefix(payload, []byte(exifHeader)) {
			tiff = payload[len(exifHeader):]
			return false
		}
		return true
	})
	return tiff
}

// webpExif returns the TIFF structure in a WebP file's EXIF chunk, or nil.
func webpExif(data []byte) []byte {
	if !isRIFF(data, "WEBP") {
		return nil
	}
	for pos := 12; pos+8 <= len(data); {
		size := uint64(binary.LittleEndian.Uint32(data[pos+4:]))
		if size > uint64(len(data)-pos-8) {
			return nil
		}
		end := pos + 8 + int(size)
		if string(data[pos:pos+4]) == "EXIF" {
			// Some writers keep the JPEG APP1 prefix; the specification has none.
			return bytes.TrimPrefix(data[pos+8:end], []byte(exifHeader))
		}
		pos = end + int(size&1) // chunks are padded to an even size
	}
	return nil
}

// pngExif returns the TIFF structure in a PNG file's eXIf chunk, or nil.
func pngExif(data []byte) []byte {
	const signature = 8
	if len(data) < signature {
		return nil
	}
	for pos := signature; pos+12 <= len(data); {
		size := uint64(binary.BigEndian.Uint32(data[pos:]))
		if size > uint64(len(data)-pos-12) {
			return nil
		}
		end := pos + 8 + int(size)
		switch string(data[pos+4 : pos+8]) {
		case "eXIf":
			return data[pos+8 : end]
		case "IEND":
			return nil
		}
		pos = end + 4 // CRC
	}
	return nil
}

// tiffOrientation reads tag 0x0112 of IFD0 of a TIFF structure (an EXIF block or a TIFF file)
// in either byte order. It returns 1 unless the tag holds a value in 1..8.
func tiffOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd := uint64(order.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > uint64(len(tiff)) {
		return 1
	}
	count := int(order.Uint16(tiff[ifd:]))
	for i := range count {
		entry := int(ifd) + 2 + 12*i
		if entry+12 > len(tiff) {
			return 1
		}
		if order.Uint16(tiff[entry:]) != tagOrientation {
			continue
		}
		return orientationValue(order, tiff[entry:entry+12])
	}
	return 1
}

// orientationValue decodes the value of a 12-byte IFD entry holding the orientation. The
// specification says SHORT; some writers use LONG, whose meaning is just as clear.
func orientationValue(order binary.ByteOrder, entry []byte) int {
	if order.Uint32(entry[4:]) != 1 {
		return 1
	}
	var v uint32
	switch order.Uint16(entry[2:]) {
	case typeShort:
		v = uint32(order.Uint16(entry[8:]))
	case typeLong:
		v = order.Uint32(entry[8:])
	default:
		return 1
	}
	if v < 1 || v > 8 {
		return 1
	}
	return int(v)
}
