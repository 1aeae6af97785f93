package imaging

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
)

// The reader below reads, from outside input, what photoproc must know of a HEIF container
// (ISO/IEC 23008-12: HEIC, AVIF) before libheif is given it: which item is the primary image,
// its size (the ispe property, for the pixel limit and the memory budget), its codec, bit depth
// and whether an alpha plane comes with it. It walks only the boxes on the path to those
// (ftyp, meta: hdlr, pitm, iinf, iref, iprp: ipco, ipma), checks every size against its
// container, never follows an offset, and allocates in proportion to the bytes it reads, so
// it ends on any input. The pixels, and everything else in the file, are libheif's business.

// heifInfo is what parseHEIF learnt of a HEIF file's primary image.
type heifInfo struct {
	// kind is the primary item's type: "hvc1", "av01", or a derived image ("grid", "iden",
	// "iovl") made of others.
	kind string
	// codec names the compression of the primary image, or of its first input when derived:
	// "HEVC" or "AV1".
	codec string
	// size is the primary image's ispe: its stored size, before any crop, rotation or mirror.
	size image.Point
	// depth is the bits per colour sample (8, 10, 12).
	depth int
	// alpha says an alpha plane (an auxiliary image) comes with the primary image.
	alpha bool
	// tiles is the number of images a grid is made of; 0 for other kinds.
	tiles int
	// icc and nclx are the colour properties (colr) of the primary image, or of its first
	// coded input when it has none: an ICC profile, and the body of an nclx description
	// (primaries, transfer, matrix, range). Strings keep heifInfo comparable.
	icc, nclx string
	// turn is the EXIF orientation (1..8) that the primary image's rotation and mirror (irot,
	// imir) amount to, as libheif applies them; 0 when it cannot be told (a property too short).
	turn int
	// cropped says the primary image has a crop (clap).
	cropped bool
}

// heifFormat names the format of a file that starts with an ftyp box from its brands: HEIC or
// AVIF, or false for other ISO media (MP4 video, CR3 raw photos, ...).
func heifFormat(data []byte) (format, bool) {
	if len(data) < 12 || string(data[4:8]) != "ftyp" {
		return "", false
	}
	brands := [][]byte{data[8:12]}
	size := int(min(uint64(binary.BigEndian.Uint32(data)), uint64(len(data))))
	for pos := 16; pos+4 <= size; pos += 4 { // after the major brand and minor version
		brands = append(brands, data[pos:pos+4])
	}
	var generic bool
	for _, b := range brands {
		switch string(b) {
		case "avif", "avis":
			return formatAVIF, true
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs":
			return formatHEIC, true
		case "mif1", "msf1", "miaf":
			generic = true
		}
	}
	// A HEIF file that names no codec brand: libheif decides by the items it holds.
	return formatHEIC, generic
}

// withArticle is the format's label after "a" or "an": "a HEIC", "an AVIF".
func (f format) withArticle() string {
	if f == formatAVIF {
		return "an " + f.label()
	}
	return "a " + f.label()
}

// parseHEIF reads the container of a HEIF file of format f.
func parseHEIF(f format, data []byte) (heifInfo, error) {
	var meta []byte
	var hasMeta, hasMovie bool
	err := walkBoxes(data, func(typ string, body []byte) error {
		switch typ {
		case "meta":
			meta, hasMeta = body, true
		case "moov":
			hasMovie = true
		}
		return nil
	})
	if err != nil && !hasMeta {
		// The metadata comes before the coded data (mdat) in every writer's files, so a file
		// cut short usually still has it, and libheif reports the missing picture.
		return heifInfo{}, fmt.Errorf("%w: truncated %s (%v)", ErrCorrupt, f.label(), err)
	}
	if !hasMeta {
		if hasMovie {
			return heifInfo{}, fmt.Errorf("%w: %s image sequence (animation) without a still image, which is not supported",
				ErrUnsupportedFormat, f.withArticle())
		}
		return heifInfo{}, fmt.Errorf("%w: damaged %s data (no meta box)", ErrCorrupt, f.label())
	}
	c, err := readMeta(meta)
	if err != nil {
		return heifInfo{}, fmt.Errorf("%w: damaged %s data (%v)", ErrCorrupt, f.label(), err)
	}
	return c.primaryInfo(f)
}

// heifMeta is the content of a meta box, as far as parseHEIF needs it.
type heifMeta struct {
	handler  string
	primary  uint32
	havePitm bool
	kinds    map[uint32]string   // item type by item id
	refs     []heifRef           // item references
	props    []heifBox           // ipco's properties; ipma counts them from 1
	assoc    map[uint32][]uint16 // property indices by item id
	iloc     []byte              // the iloc box's body, read by the direct path only (heifitems.go)
	idat     []byte              // the idat box's body: item data kept in the meta box
}

type heifRef struct {
	typ  string
	from uint32
	to   []uint32
}

type heifBox struct {
	typ  string
	body []byte
}

func readMeta(meta []byte) (*heifMeta, error) {
	if len(meta) < 4 {
		return nil, fmt.Errorf("meta box of %d bytes", len(meta))
	}
	m := &heifMeta{kinds: map[uint32]string{}, assoc: map[uint32][]uint16{}}
	err := walkBoxes(meta[4:], func(typ string, body []byte) error {
		switch typ {
		case "hdlr":
			if len(body) < 12 {
				return fmt.Errorf("hdlr box of %d bytes", len(body))
			}
			m.handler = string(body[8:12])
		case "pitm":
			id, _, err := readItemID(body, 4)
			m.primary, m.havePitm = id, err == nil
			return err
		case "iinf":
			return m.readItemInfo(body)
		case "iref":
			return m.readRefs(body)
		case "iloc":
			m.iloc = body
		case "idat":
			m.idat = body
		case "iprp":
			return walkBoxes(body, func(typ string, body []byte) error {
				switch typ {
				case "ipco":
					return walkBoxes(body, func(typ string, body []byte) error {
						m.props = append(m.props, heifBox{typ, body})
						return nil
					})
				case "ipma":
					return m.readAssociations(body)
				}
				return nil
			})
		}
		return nil
	})
	return m, err
}

// readItemID reads an item id of a full box whose version says its width: 16 bits for version
// 0, 32 bits otherwise. It returns the id and what follows it.
func readItemID(body []byte, pos int) (uint32, []byte, error) {
	if len(body) < 4 || len(body) < pos {
		return 0, nil, fmt.Errorf("box of %d bytes", len(body))
	}
	return readID(body[pos:], body[0] != 0)
}

func readID(b []byte, wide bool) (uint32, []byte, error) {
	switch {
	case wide && len(b) >= 4:
		return binary.BigEndian.Uint32(b), b[4:], nil
	case !wide && len(b) >= 2:
		return uint32(binary.BigEndian.Uint16(b)), b[2:], nil
	}
	return 0, nil, fmt.Errorf("item id cut short")
}

func (m *heifMeta) readItemInfo(body []byte) error {
	if len(body) < 4 {
		return fmt.Errorf("iinf box of %d bytes", len(body))
	}
	skip := 4 + 2 // version and flags, 16-bit entry count
	if body[0] != 0 {
		skip = 4 + 4
	}
	if len(body) < skip {
		return fmt.Errorf("iinf box of %d bytes", len(body))
	}
	return walkBoxes(body[skip:], func(typ string, infe []byte) error {
		// Versions 0 and 1 of infe predate item types; no image is described by them.
		if typ != "infe" || len(infe) < 4 || infe[0] < 2 {
			return nil
		}
		id, rest, err := readID(infe[4:], infe[0] >= 3)
		if err != nil || len(rest) < 6 {
			return fmt.Errorf("infe box of %d bytes", len(infe))
		}
		m.kinds[id] = string(rest[2:6]) // after item_protection_index
		return nil
	})
}

func (m *heifMeta) readRefs(body []byte) error {
	if len(body) < 4 {
		return fmt.Errorf("iref box of %d bytes", len(body))
	}
	wide := body[0] != 0
	return walkBoxes(body[4:], func(typ string, b []byte) error {
		from, rest, err := readID(b, wide)
		if err != nil || len(rest) < 2 {
			return fmt.Errorf("%s reference cut short", typ)
		}
		n := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		width := 2
		if wide {
			width = 4
		}
		if n*width > len(rest) {
			return fmt.Errorf("%s reference lists %d items in %d bytes", typ, n, len(rest))
		}
		ref := heifRef{typ: typ, from: from, to: make([]uint32, n)}
		for i := range ref.to {
			ref.to[i], rest, _ = readID(rest, wide)
		}
		m.refs = append(m.refs, ref)
		return nil
	})
}

func (m *heifMeta) readAssociations(body []byte) error {
	if len(body) < 8 {
		return fmt.Errorf("ipma box of %d bytes", len(body))
	}
	wideID, wideIndex := body[0] != 0, body[3]&1 != 0
	n := binary.BigEndian.Uint32(body[4:])
	rest := body[8:]
	for range n {
		id, after, err := readID(rest, wideID)
		if err != nil || len(after) < 1 {
			return fmt.Errorf("ipma box cut short")
		}
		count := int(after[0])
		rest = after[1:]
		width := 1
		if wideIndex {
			width = 2
		}
		if count*width > len(rest) {
			return fmt.Errorf("ipma box cut short")
		}
		for i := range count {
			var index uint16
			if wideIndex {
				index = binary.BigEndian.Uint16(rest[2*i:]) & 0x7fff
			} else {
				index = uint16(rest[i] & 0x7f)
			}
			m.assoc[id] = append(m.assoc[id], index)
		}
		rest = rest[count*width:]
	}
	return nil
}

// property returns the body of the first property of type typ associated with item id.
func (m *heifMeta) property(id uint32, typ string) ([]byte, bool) {
	for _, index := range m.assoc[id] {
		if index >= 1 && int(index) <= len(m.props) && m.props[index-1].typ == typ {
			return m.props[index-1].body, true
		}
	}
	return nil, false
}

// properties returns the bodies of every property of type typ associated with item id.
func (m *heifMeta) properties(id uint32, typ string) [][]byte {
	var out [][]byte
	for _, index := range m.assoc[id] {
		if index >= 1 && int(index) <= len(m.props) && m.props[index-1].typ == typ {
			out = append(out, m.props[index-1].body)
		}
	}
	return out
}

// referenced returns the items that item from refers to with references of type typ.
func (m *heifMeta) referenced(from uint32, typ string) []uint32 {
	for _, r := range m.refs {
		if r.from == from && r.typ == typ {
			return r.to
		}
	}
	return nil
}

func (m *heifMeta) primaryInfo(f format) (heifInfo, error) {
	corrupt := func(what string, args ...any) (heifInfo, error) {
		return heifInfo{}, fmt.Errorf("%w: damaged %s data (%s)", ErrCorrupt, f.label(), fmt.Sprintf(what, args...))
	}
	switch {
	case m.handler != "pict":
		return corrupt("its metadata is for %q, not pictures", m.handler)
	case !m.havePitm:
		return corrupt("no primary item")
	}
	info := heifInfo{kind: m.kinds[m.primary]}
	if info.kind == "" {
		return corrupt("the primary item %d is not described", m.primary)
	}
	coded := m.primary
	// A derived image is made of others, possibly derived themselves (an iden of a grid).
	for range 4 {
		kind := m.kinds[coded]
		if kind != "grid" && kind != "iden" && kind != "iovl" {
			break
		}
		inputs := m.referenced(coded, "dimg")
		if len(inputs) == 0 {
			return corrupt("a derived image (%s) made of no images", kind)
		}
		if kind == "grid" && info.tiles == 0 {
			info.tiles = len(inputs)
		}
		coded = inputs[0]
	}
	codec, ok := heifCodec(m.kinds[coded])
	if !ok {
		return heifInfo{}, fmt.Errorf("%w: %s image coded as %s, which is not supported",
			ErrUnsupportedFormat, f.withArticle(), codec)
	}
	info.codec = codec
	ispe, ok := m.property(m.primary, "ispe")
	if !ok || len(ispe) < 12 {
		return corrupt("the primary image has no size (ispe)")
	}
	info.size = image.Pt(int(binary.BigEndian.Uint32(ispe[4:])), int(binary.BigEndian.Uint32(ispe[8:])))
	if info.size.X <= 0 || info.size.Y <= 0 {
		return corrupt("its size (ispe) is %dx%d", info.size.X, info.size.Y)
	}
	info.depth = m.depth(m.primary, coded)
	colr := m.properties(m.primary, "colr")
	if colr == nil {
		colr = m.properties(coded, "colr")
	}
	for _, c := range colr {
		switch {
		case len(c) < 4:
		case string(c[:4]) == "prof" || string(c[:4]) == "rICC":
			info.icc = string(c[4:])
		case string(c[:4]) == "nclx":
			info.nclx = string(c[4:])
		}
	}
	info.alpha = m.hasAlpha(m.primary)
	info.turn, info.cropped = m.transforms(m.primary)
	return info, nil
}

// transforms returns the EXIF orientation that the rotations and mirrors of item id amount to,
// applied in the order they are associated as libheif does (0 when a property is too short to
// read), and whether it has a crop.
func (m *heifMeta) transforms(id uint32) (turn int, cropped bool) {
	turn = 1
	for _, index := range m.assoc[id] {
		if index < 1 || int(index) > len(m.props) {
			continue
		}
		p := m.props[index-1]
		var then int
		switch {
		case p.typ == "clap":
			cropped = true
			continue
		case p.typ != "irot" && p.typ != "imir":
			continue
		case len(p.body) < 1:
			return 0, cropped
		case p.typ == "irot":
			// Anti-clockwise quarter turns: 1 is what EXIF orientation 8 asks of the stored
			// picture, 2 is 3, 3 is 6.
			then = [4]int{1, 8, 3, 6}[p.body[0]&3]
		default:
			// libheif 1.15's axis 1 mirrors left to right (EXIF 2), 0 top to bottom (EXIF 4).
			then = [2]int{4, 2}[p.body[0]&1]
		}
		turn = composeOrientations(turn, then)
	}
	return turn, cropped
}

// composeOrientations returns the EXIF orientation that shows a picture as orienting it by a,
// then the result by b, does.
func composeOrientations(a, b int) int {
	// A 3x2 picture whose pixels are all different, oriented both ways, against each of the
	// eight orientations of it.
	const w, h = 3, 2
	grid := func(o, inner int) [6]int {
		var g [6]int
		iw, ih := w, h
		if swapsAxes(inner) {
			iw, ih = h, w
		}
		ow, oh := iw, ih
		if swapsAxes(o) {
			ow, oh = ih, iw
		}
		for y := range oh {
			for x := range ow {
				sx, sy := storedPoint(o, x, y, iw, ih)
				ix, iy := storedPoint(inner, sx, sy, w, h)
				g[y*ow+x] = iy*w + ix
			}
		}
		return g
	}
	want := grid(b, a)
	for o := 1; o <= 8; o++ {
		if grid(o, 1) == want && swapsAxes(o) == (swapsAxes(a) != swapsAxes(b)) {
			return o
		}
	}
	return 0
}

// heifCodec names the compression of an item type, and says whether libheif decodes it.
func heifCodec(kind string) (string, bool) {
	switch kind {
	case "hvc1":
		return "HEVC", true
	case "av01":
		return "AV1", true
	case "jpeg":
		return "JPEG (item type jpeg)", false
	case "j2k1":
		return "JPEG 2000 (item type j2k1)", false
	case "vvc1":
		return "VVC/H.266 (item type vvc1)", false
	case "avc1":
		return "H.264 (item type avc1)", false
	case "unci":
		return "uncompressed pixels (item type unci)", false
	case "":
		return "an item that is not described", false
	}
	return fmt.Sprintf("item type %q", kind), false
}

// depth returns the bits per colour sample of the primary item: its pixi property, else the
// codec configuration of the item coding it; 8 when neither says.
func (m *heifMeta) depth(primary, coded uint32) int {
	if pixi, ok := m.property(primary, "pixi"); ok && len(pixi) >= 6 && pixi[4] >= 1 {
		return int(pixi[5])
	}
	if hvcC, ok := m.property(coded, "hvcC"); ok && len(hvcC) >= 18 {
		return 8 + int(hvcC[17]&7) // bitDepthLumaMinus8
	}
	if av1C, ok := m.property(coded, "av1C"); ok && len(av1C) >= 3 {
		switch {
		case av1C[2]&0x40 == 0: // high_bitdepth
			return 8
		case av1C[2]&0x20 != 0: // twelve_bit
			return 12
		}
		return 10
	}
	return 8
}

// hasAlpha reports whether an alpha image refers to item id as the image it belongs to.
func (m *heifMeta) hasAlpha(id uint32) bool {
	for _, r := range m.refs {
		if r.typ != "auxl" {
			continue
		}
		for _, to := range r.to {
			if to != id {
				continue
			}
			auxC, ok := m.property(r.from, "auxC")
			if !ok || len(auxC) < 4 {
				continue
			}
			urn, _, _ := bytes.Cut(auxC[4:], []byte{0})
			switch string(urn) {
			case "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", "urn:mpeg:hevc:2015:auxid:1":
				return true
			}
		}
	}
	return false
}

// walkBoxes calls fn with the type and body of each ISO BMFF box in data, in order, and stops
// at the first error. A box of size 0 runs to the end of data. A box that claims more bytes
// than data holds is an error, reported after the boxes before it were seen.
func walkBoxes(data []byte, fn func(typ string, body []byte) error) error {
	for pos := 0; pos < len(data); {
		if len(data)-pos < 8 {
			return fmt.Errorf("%d stray bytes after the last box", len(data)-pos)
		}
		size := uint64(binary.BigEndian.Uint32(data[pos:]))
		typ := string(data[pos+4 : pos+8])
		header := uint64(8)
		switch size {
		case 0:
			size = uint64(len(data) - pos)
		case 1:
			if len(data)-pos < 16 {
				return fmt.Errorf("box %q cut short", typ)
			}
			size, header = binary.BigEndian.Uint64(data[pos+8:]), 16
		}
		if size < header {
			return fmt.Errorf("box %q of %d bytes", typ, size)
		}
		if size > uint64(len(data)-pos) {
			return fmt.Errorf("box %q of %d bytes runs %d bytes past the end", typ, size, size-uint64(len(data)-pos))
		}
		end := pos + int(size)
		if err := fn(typ, data[pos+int(header):end]); err != nil {
			return err
		}
		pos = end
	}
	return nil
}
