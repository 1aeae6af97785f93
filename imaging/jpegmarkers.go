package imaging

import (
	"bytes"
	"encoding/binary"
)

// jpegSegments calls fn for each marker segment of a JPEG before its first scan, with the
// marker and the segment's payload, until fn returns false. It checks every length against
// the data and always moves forward, so it ends on any input.
func jpegSegments(data []byte, fn func(marker byte, payload []byte) bool) {
	if !bytes.HasPrefix(data, []byte("\xff\xd8")) {
		return
	}
	for pos := 2; pos+4 <= len(data); {
		if data[pos] != 0xff {
			return
		}
		marker := data[pos+1]
		switch {
		case marker == 0xff: // fill byte before a marker
			pos++
			continue
		case marker == 0xd9: // end of image
			return
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd7: // markers without a length
			pos += 2
			continue
		}
		end := pos + 2 + int(binary.BigEndian.Uint16(data[pos+2:]))
		if end < pos+4 || end > len(data) {
			return
		}
		// Start of scan ends the walk: what follows is entropy-coded data.
		if !fn(marker, data[pos+4:end]) || marker == 0xda {
			return
		}
		pos = end
	}
}

// jpegVariant names the kind of JPEG a start-of-frame marker announces when Go cannot decode
// it, or "" for the kinds it can (baseline, extended sequential, progressive).
func jpegVariant(data []byte) string {
	variant := ""
	jpegSegments(data, func(marker byte, _ []byte) bool {
		switch marker {
		case 0xc3:
			variant = "lossless JPEG"
		case 0xc5, 0xc6, 0xc7:
			variant = "hierarchical JPEG"
		case 0xc9, 0xca, 0xcb:
			variant = "arithmetic-coded JPEG"
		case 0xcd, 0xce, 0xcf:
			variant = "hierarchical arithmetic-coded JPEG"
		default:
			return true
		}
		return false
	})
	return variant
}

// jpegTruncated reports whether a JPEG lacks the end-of-image marker after its last scan.
// Inside entropy-coded data every 0xFF is escaped, so a 0xFF 0xD9 after the last start of scan
// can only be the end marker. Used only to word the error of a JPEG that failed to decode.
func jpegTruncated(data []byte) bool {
	sos := bytes.LastIndex(data, []byte{0xff, 0xda})
	return sos < 0 || !bytes.Contains(data[sos:], []byte{0xff, 0xd9})
}

// jpegComponents returns the number of colour components its start-of-frame marker announces
// (1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK), or 0 if there is none.
func jpegComponents(data []byte) int {
	n := 0
	jpegSegments(data, func(marker byte, payload []byte) bool {
		// SOF0..SOF15 but DHT (c4), JPG (c8) and DAC (cc): precision, height, width, components.
		if marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc {
			if len(payload) >= 6 {
				n = int(payload[5])
			}
			return false
		}
		return true
	})
	return n
}
