package imaging

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Limits on the structure of a JPEG, checked by one pass over its markers (inspectJPEG) before
// any decoder sees it. Each guards a cost that neither the file's size nor its pixel count
// shows.
const (
	// maxJPEGScans bounds the scans of a progressive JPEG. Each scan is a pass over all of the
	// picture's blocks, so its cost grows with the pixels, not with its bytes: a scan of a few
	// hundred bytes costs ~10 ms at 48 MP, and a 1.8 MB file repeating one 3000 times took 28 s
	// to decode (50 MB would take hours). libjpeg's standard progression writes 10 scans (6 for
	// grey), other encoders about a dozen; libjpeg-turbo's own limit is 500. 100 leaves room
	// for any encoder's script and bounds the worst case to 100 passes: a few seconds at 48 MP.
	maxJPEGScans = 100
	// maxJPEGSegments bounds the other marker segments (tables, APPn, comments): each is read
	// and some are parsed by both decoders. A photo has a few dozen at most (an ICC profile or
	// extended XMP split over many APPn segments); a 50 MB file of 4-byte segments would hold
	// 12 million.
	maxJPEGSegments = 1000
)

// jpegInfo is what one pass over a JPEG's markers finds, without decoding anything: what the
// structural limits and the memory cost model need.
type jpegInfo struct {
	sof        byte // the first start-of-frame marker (0xc0 baseline … 0xc2 progressive …), 0 if none
	precision  int  // bits per sample
	width      int
	height     int
	components []jpegComponent
	// adobe is set by an Adobe APP14 segment, which says how 4 components are to be read
	// (adobeTransform 0: CMYK, else YCCK). Both decoders refuse 4 components without it.
	adobe          bool
	adobeTransform byte
	scans          int  // start-of-scan markers
	firstScan      int  // components in the first scan: fewer than the frame's means one scan each
	scanComponents int  // components in all scans together
	segments       int  // marker segments with a length, scans included
	complete       bool // the end-of-image marker follows the last scan
	// iccChunks are the payloads of the APP2 "ICC_PROFILE" segments after their name: each a
	// sequence number, the count of segments, and a part of the profile (colourread.go).
	iccChunks [][]byte
}

// jpegComponent is one colour component of the frame and its sampling factors (1..4).
type jpegComponent struct{ id, h, v int }

// inspect checks the structure of a JPEG against the limits and returns it; other formats
// have none to check (nil).
func inspect(f format, src []byte) (*jpegInfo, error) {
	if f != formatJPEG {
		return nil, nil
	}
	j := inspectJPEG(src)
	if err := j.check(); err != nil {
		return nil, err
	}
	return &j, nil
}

// inspectJPEG walks the markers of data, stopping as soon as a limit is passed.
func inspectJPEG(data []byte) jpegInfo {
	var j jpegInfo
	eoi := walkJPEG(data, func(marker byte, p []byte) bool {
		j.segments++
		switch {
		case isSOF(marker) && j.sof == 0:
			j.readSOF(marker, p)
		case marker == 0xee && len(p) >= 12 && bytes.HasPrefix(p, []byte("Adobe")):
			// Both decoders take the last APP14 they see.
			j.adobe, j.adobeTransform = true, p[11]
		case marker == 0xe2 && len(p) >= 14 && bytes.HasPrefix(p, []byte("ICC_PROFILE\x00")):
			j.iccChunks = append(j.iccChunks, p[12:])
		case marker == 0xda && len(p) > 0:
			if j.scans++; j.scans == 1 {
				j.firstScan = int(p[0])
			}
			j.scanComponents += int(p[0])
		}
		return j.scans <= maxJPEGScans && j.segments <= maxJPEGSegments
	})
	j.complete = eoi && j.scans > 0
	return j
}

// isSOF reports whether marker is a start of frame: SOF0..SOF15 but DHT (c4), JPG (c8) and
// DAC (cc).
func isSOF(marker byte) bool {
	return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc
}

func (j *jpegInfo) readSOF(marker byte, p []byte) {
	j.sof = marker
	if len(p) < 6 {
		return
	}
	j.precision = int(p[0])
	j.height, j.width = int(binary.BigEndian.Uint16(p[1:])), int(binary.BigEndian.Uint16(p[3:]))
	for i := range int(p[5]) {
		c := p[min(6+3*i, len(p)):]
		if len(c) < 3 {
			// A short segment: count the component, with the largest sampling, so that
			// the cost model never undercharges. The decoders refuse it anyway.
			j.components = append(j.components, jpegComponent{id: -1, h: 4, v: 4})
			continue
		}
		j.components = append(j.components, jpegComponent{id: int(c[0]), h: sampling(c[1] >> 4), v: sampling(c[1] & 15)})
	}
}

// sampling is a sampling factor as the cost model may use it: 1..4, anything else (which both
// decoders refuse) taken as 4.
func sampling(f byte) int {
	if f < 1 || f > 4 {
		return 4
	}
	return int(f)
}

// kind names the JPEG for messages.
func (j *jpegInfo) kind() string {
	if j.progressive() {
		return "progressive JPEG"
	}
	return "JPEG"
}

// progressive reports whether the frame is progressive (SOF2, or SOF6/10/14, which are
// refused as hierarchical or arithmetic-coded anyway).
func (j *jpegInfo) progressive() bool {
	return j.sof == 0xc2 || j.sof == 0xc6 || j.sof == 0xca || j.sof == 0xce
}

// multiScan reports whether decoding keeps the coefficients of the whole picture until the
// last scan: libjpeg does so for progressive JPEGs and for sequential ones whose first scan
// does not hold every component. Without a frame header, assume it does.
func (j *jpegInfo) multiScan() bool {
	return j.progressive() || j.firstScan < len(j.components) || len(j.components) == 0
}

// check refuses, before any decoder sees them, the JPEGs whose structure costs more than their
// pixels suggest, and those both decoders refuse anyway, worded the same way for both builds.
func (j *jpegInfo) check() error {
	switch {
	case j.scans > maxJPEGScans:
		return fmt.Errorf("%w: a JPEG of more than %d scans, which is not supported (photos have about a dozen; each scan is another pass over the whole picture)",
			ErrUnsupportedFormat, maxJPEGScans)
	case j.segments > maxJPEGSegments:
		return fmt.Errorf("%w: a JPEG of more than %d marker segments, which is not supported (photos have a few dozen)",
			ErrUnsupportedFormat, maxJPEGSegments)
	case j.variant() != "":
		return fmt.Errorf("%w: %s, which is not supported", ErrUnsupportedFormat, j.variant())
	case len(j.components) == 4 && !j.adobe:
		return fmt.Errorf("%w: a 4-component JPEG without the Adobe marker that says whether it is CMYK or YCCK, which is not supported",
			ErrUnsupportedFormat)
	case j.sof != 0 && !j.progressive() && j.scanComponents > len(j.components):
		// A sequential JPEG holds each component in one scan. libjpeg refuses more; image/jpeg
		// would decode the picture again for each.
		return fmt.Errorf("%w: damaged JPEG data (%d scans for %d components in a sequential JPEG)",
			ErrCorrupt, j.scans, len(j.components))
	case !j.complete:
		return fmt.Errorf("%w: truncated JPEG (the data ends before the picture does)", ErrCorrupt)
	}
	return nil
}

// variant names the kind of JPEG the frame header announces when neither decoder supports
// it, or "" for the kinds both do (8-bit baseline, extended sequential and progressive).
func (j *jpegInfo) variant() string {
	switch j.sof {
	case 0xc3:
		return "lossless JPEG"
	case 0xc5, 0xc6, 0xc7:
		return "hierarchical JPEG"
	case 0xc9, 0xca, 0xcb:
		return "arithmetic-coded JPEG"
	case 0xcd, 0xce, 0xcf:
		return "hierarchical arithmetic-coded JPEG"
	case 0xc0, 0xc1, 0xc2:
		if j.precision != 8 && j.precision != 0 {
			return fmt.Sprintf("%d-bit JPEG", j.precision)
		}
	}
	return ""
}

// walkJPEG calls fn for each marker segment of a JPEG, in file order, with the marker and its
// payload, skipping the entropy-coded data that follows each start of scan, until fn returns
// false or the end-of-image marker comes. Like both decoders it skips anything but a marker
// where a marker is due (libjpeg warns of "extraneous bytes", image/jpeg says nothing), so it
// finds the same segments they do. It checks every length against the data and only moves
// forward: it ends on any input, in time linear in its length. It reports whether it reached
// the end-of-image marker.
func walkJPEG(data []byte, fn func(marker byte, payload []byte) bool) bool {
	return walkJPEGAt(data, func(marker byte, start, end int) bool { return fn(marker, data[start:end]) })
}

// walkJPEGAt is walkJPEG giving where each payload is in data, data[start:end], instead of the
// payload itself. A segment begins 4 bytes before its payload (the marker and the length); a
// scan's entropy-coded data runs from end to entropyDataEnd(data, end).
func walkJPEGAt(data []byte, fn func(marker byte, start, end int) bool) bool {
	if !bytes.HasPrefix(data, []byte{0xff, 0xd8}) {
		return false
	}
	for pos := 2; ; {
		i := bytes.IndexByte(data[pos:], 0xff)
		if i < 0 {
			return false
		}
		pos += i
		for pos < len(data) && data[pos] == 0xff { // fill bytes may precede a marker
			pos++
		}
		if pos >= len(data) {
			return false
		}
		marker := data[pos]
		pos++
		switch {
		case marker == 0xd9:
			return true
		case marker == 0x00, marker == 0x01, marker >= 0xd0 && marker <= 0xd8:
			continue // a stuffed zero, TEM, RSTn, SOI: nothing follows
		}
		if pos+2 > len(data) {
			return false
		}
		end := pos + int(binary.BigEndian.Uint16(data[pos:]))
		if end < pos+2 || end > len(data) {
			return false
		}
		if !fn(marker, pos+2, end) {
			return false
		}
		pos = end
		if marker == 0xda {
			pos = entropyDataEnd(data, pos)
		}
	}
}

// entropyDataEnd returns where the entropy-coded data starting at pos ends: at the first 0xFF
// that is neither a stuffed byte (0xFF 0x00) nor a restart marker.
func entropyDataEnd(data []byte, pos int) int {
	for {
		i := bytes.IndexByte(data[pos:], 0xff)
		if i < 0 {
			return len(data)
		}
		pos += i
		if pos+1 < len(data) && (data[pos+1] == 0x00 || data[pos+1] >= 0xd0 && data[pos+1] <= 0xd7) {
			pos += 2
			continue
		}
		return pos
	}
}

// eighthScans returns, in buf's array, a progressive JPEG with only the scans a decode at 1/8
// scale reads: at that scale libjpeg-turbo turns each 8x8 block of a component into one pixel
// from its DC coefficient alone, but for a component subsampled in both axes (4:2:0 chroma)
// into 2x2 pixels by a 2x2 inverse DCT, which reads AC coefficients 1, 2 and 4 too, instead of
// upsampling it. So it keeps every DC scan (Ss = Se = 0: the first and its successive-
// approximation refinements) and the first pass (Ah = 0) of each AC scan that holds a
// coefficient such a component's inverse DCT reads, and leaves out the other scans and their
// entropy-coded data; the tables, restart intervals and frame header stay where they were, so
// each scan kept is read with the tables it was written with; the end-of-image marker follows
// the last scan kept. Without the refinements the AC coefficients it keeps lack their last bits
// (a few levels in chroma at most). On the 12 MP photo saved progressive by jpegtran (4:2:2)
// that is 10 % of the entropy-coded data; on the 8 MP phone photo (4:2:0), 20 %. It reports
// false for a JPEG that is not progressive, has no DC scan or a scan header it cannot read, or
// does not end; the caller then decodes the whole file.
func eighthScans(buf, data []byte) ([]byte, bool) {
	out := buf[:0]
	from, end := 0, 0 // data[from:] is not yet copied or left out; out[:end] ends with the last scan kept
	ok, progressive := true, false
	var reads map[byte]int // the last zigzag index the 1/8 inverse DCT reads, per component id
	complete := walkJPEGAt(data, func(marker byte, start, stop int) bool {
		switch {
		case isSOF(marker) && !progressive:
			progressive, ok = marker == 0xc2, marker == 0xc2
			var j jpegInfo
			j.readSOF(marker, data[start:stop])
			reads = eighthReads(j.components)
			return ok
		case marker != 0xda:
			return true
		}
		p := data[start:stop]
		if !progressive || len(p) < 1 || len(p) < 4+2*int(p[0]) {
			ok = false
			return false
		}
		ns := int(p[0])
		ss, se, ah := p[1+2*ns], p[2+2*ns], p[3+2*ns]>>4
		scanEnd := entropyDataEnd(data, stop)
		switch {
		case ss == 0 && se != 0:
			ok = false // DC and AC in one scan: not a valid progressive scan
			return false
		case ss == 0, ah == 0 && ns == 1 && int(ss) <= reads[p[1]]:
			out = append(out, data[from:scanEnd]...)
			end = len(out)
		default:
			out = append(out, data[from:start-4]...) // up to the scan's marker
		}
		from = scanEnd
		return true
	})
	if !ok || !complete || end == 0 {
		return buf[:0], false
	}
	return append(out[:end], 0xff, 0xd9), true
}

// eighthReads returns, per component id, the last coefficient (in zigzag order) libjpeg-turbo's
// inverse DCT reads for that component at 1/8 scale: 0 (the DC) for a component at the frame's
// largest sampling in either axis, and for one subsampled by 2 or 4 in both axes, the last of
// the 2×2 or 4×4 low frequencies of its larger inverse DCT (jdmaster.c, which doubles a
// component's DCT size while its sampling allows it in both axes).
func eighthReads(comps []jpegComponent) map[byte]int {
	hmax, vmax := 1, 1
	for _, c := range comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	reads := map[byte]int{}
	for _, c := range comps {
		size := 1
		for size < 8 && hmax%(c.h*size*2) == 0 && vmax%(c.v*size*2) == 0 {
			size *= 2
		}
		reads[byte(c.id)] = map[int]int{1: 0, 2: 4, 4: 24, 8: 63}[size]
	}
	return reads
}
