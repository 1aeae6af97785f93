package imaging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// The readers below find, for the direct HEVC path (heif_de265.go), where a HEIC's coded
// pictures are and how to feed them to an HEVC decoder: the item locations (iloc, and idat
// for data stored in the meta box), the decoder configuration (hvcC: the parameter sets and
// the width of the NAL unit length prefix) and a grid's layout (ImageGrid). Like heifbox.go
// they read outside input: every count, length and offset is checked against the bytes it
// points into, and nothing allocates more than the file holds.

// errNotDirect says the direct path does not decode this file; libheif then does, as before.
var errNotDirect = errors.New("not for the direct HEVC path")

func notDirect(what string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotDirect, fmt.Sprintf(what, args...))
}

// ilocExtent is one piece of an item's data.
type ilocExtent struct{ offset, length uint64 }

// ilocItem is where an item's data is: in the file (construction method 0) or in the meta
// box's idat (1), as extents to be joined in order.
type ilocItem struct {
	method  int
	extents []ilocExtent
}

// parseIloc reads an iloc box (versions 0 to 2) into the locations of its items by id.
// Offsets and lengths are not checked here (itemData does, against the data they point into).
func parseIloc(body []byte) (map[uint32]ilocItem, error) {
	if len(body) < 6 {
		return nil, fmt.Errorf("iloc box of %d bytes", len(body))
	}
	version := body[0]
	if version > 2 {
		return nil, fmt.Errorf("iloc version %d", version)
	}
	r := byteReader{b: body[4:]}
	sizes := r.uint(2)
	offSize, lenSize, baseSize, indexSize := int(sizes>>12&15), int(sizes>>8&15), int(sizes>>4&15), int(sizes&15)
	if version < 1 {
		indexSize = 0
	}
	for _, s := range []int{offSize, lenSize, baseSize, indexSize} {
		if s != 0 && s != 4 && s != 8 {
			return nil, fmt.Errorf("iloc field of %d bytes", s)
		}
	}
	idSize := 2
	if version == 2 {
		idSize = 4
	}
	count := r.uint(idSize)
	// Each item takes at least an id, a data reference index and an extent count.
	if r.err != nil || count > uint64(len(r.b)/(idSize+4)) {
		return nil, fmt.Errorf("iloc box lists %d items in %d bytes", count, len(r.b))
	}
	items := make(map[uint32]ilocItem, count)
	for range count {
		id := uint32(r.uint(idSize))
		var it ilocItem
		if version >= 1 {
			it.method = int(r.uint(2) & 15)
		}
		r.uint(2) // data reference index: 0, this file
		base := r.uint(baseSize)
		n := r.uint(2)
		if r.err != nil || n > uint64(len(r.b)/max(1, indexSize+offSize+lenSize)) {
			return nil, fmt.Errorf("iloc box cut short")
		}
		it.extents = make([]ilocExtent, n)
		for e := range it.extents {
			r.uint(indexSize)
			off, length := r.uint(offSize), r.uint(lenSize)
			if off > 1<<62 || base > 1<<62 {
				return nil, fmt.Errorf("iloc offset beyond any file")
			}
			it.extents[e] = ilocExtent{base + off, length}
		}
		if r.err != nil {
			return nil, fmt.Errorf("iloc box cut short")
		}
		items[id] = it
	}
	return items, nil
}

// itemData returns the data of item id: a slice of file or idat when it is one extent, a copy
// of the joined extents otherwise. An extent outside the data, of length 0 (the rest of the
// file, which no image writer uses), or data in another file is an error.
func itemData(items map[uint32]ilocItem, id uint32, file, idat []byte) ([]byte, error) {
	it, ok := items[id]
	if !ok {
		return nil, fmt.Errorf("item %d has no location", id)
	}
	src := file
	switch it.method {
	case 0:
	case 1:
		src = idat
	default:
		return nil, fmt.Errorf("item %d is constructed by method %d", id, it.method)
	}
	var total uint64
	for _, e := range it.extents {
		if e.length == 0 || e.offset > uint64(len(src)) || e.length > uint64(len(src))-e.offset {
			return nil, fmt.Errorf("item %d: %d bytes at %d, outside the %d bytes of its data", id, e.length, e.offset, len(src))
		}
		total += e.length
	}
	switch {
	case len(it.extents) == 0:
		return nil, fmt.Errorf("item %d has no data", id)
	case total > uint64(len(src)):
		return nil, fmt.Errorf("item %d is %d bytes, more than the %d it is taken from", id, total, len(src))
	case len(it.extents) == 1:
		e := it.extents[0]
		return src[e.offset : e.offset+e.length : e.offset+e.length], nil
	}
	out := make([]byte, 0, total)
	for _, e := range it.extents {
		out = append(out, src[e.offset:e.offset+e.length]...)
	}
	return out, nil
}

// hevcConfig is what an HEVC decoder needs of an hvcC property: the parameter sets (VPS, SPS,
// PPS, SEI), to go before the coded picture, and the width of the length before each NAL
// unit of the picture's data.
type hevcConfig struct {
	lengthSize int // 1, 2 or 4
	chroma     int // chroma_format_idc: 0 4:0:0, 1 4:2:0, 2 4:2:2, 3 4:4:4
	depth      int // luma bits
	nals       [][]byte
}

// parseHvcC reads the body of an hvcC property (ISO/IEC 14496-15, 8.3.3.1).
func parseHvcC(b []byte) (hevcConfig, error) {
	if len(b) < 23 {
		return hevcConfig{}, fmt.Errorf("hvcC of %d bytes", len(b))
	}
	if b[0] != 1 {
		return hevcConfig{}, fmt.Errorf("hvcC version %d", b[0])
	}
	c := hevcConfig{lengthSize: int(b[21]&3) + 1, chroma: int(b[16] & 3), depth: 8 + int(b[17]&7)}
	if c.lengthSize == 3 {
		return hevcConfig{}, fmt.Errorf("hvcC NAL unit lengths of 3 bytes")
	}
	r := byteReader{b: b[23:]}
	for range b[22] {
		r.uint(1) // completeness and NAL unit type
		for range r.uint(2) {
			n := r.uint(2)
			nal := r.bytes(n)
			if r.err != nil {
				break
			}
			if len(nal) < 2 {
				return hevcConfig{}, fmt.Errorf("hvcC NAL unit of %d bytes", len(nal))
			}
			c.nals = append(c.nals, nal)
		}
		if r.err != nil {
			return hevcConfig{}, fmt.Errorf("hvcC cut short")
		}
	}
	return c, nil
}

// splitNALs splits an item's data into its NAL units, each preceded by its length in size
// bytes.
func splitNALs(data []byte, size int) ([][]byte, error) {
	var nals [][]byte
	r := byteReader{b: data}
	for len(r.b) > 0 {
		n := r.uint(size)
		nal := r.bytes(n)
		if r.err != nil {
			return nil, fmt.Errorf("NAL unit of %d bytes in the %d left", n, len(r.b))
		}
		if len(nal) < 2 {
			return nil, fmt.Errorf("NAL unit of %d bytes", len(nal))
		}
		nals = append(nals, nal)
	}
	if len(nals) == 0 {
		return nil, fmt.Errorf("no NAL units")
	}
	return nals, nil
}

// heifGridData is the data of a grid item: rows×cols tiles, cropped to size.
type heifGridData struct {
	rows, cols int
	size       image.Point
}

// parseGridData reads an ImageGrid (ISO/IEC 23008-12, 6.6.2.3.2).
func parseGridData(b []byte) (heifGridData, error) {
	if len(b) < 8 {
		return heifGridData{}, fmt.Errorf("grid data of %d bytes", len(b))
	}
	if b[0] != 0 {
		return heifGridData{}, fmt.Errorf("grid version %d", b[0])
	}
	g := heifGridData{rows: int(b[2]) + 1, cols: int(b[3]) + 1}
	r := byteReader{b: b[4:]}
	width := 2
	if b[1]&1 != 0 {
		width = 4
	}
	w, h := r.uint(width), r.uint(width)
	if r.err != nil {
		return heifGridData{}, fmt.Errorf("grid data of %d bytes", len(b))
	}
	if w == 0 || h == 0 || w > 1<<30 || h > 1<<30 {
		return heifGridData{}, fmt.Errorf("grid of %dx%d", w, h)
	}
	g.size = image.Pt(int(w), int(h))
	return g, nil
}

// byteReader reads big-endian fields; after the first read past the end, err is set and
// every read gives 0.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) uint(n int) uint64 {
	if r.err != nil || len(r.b) < n {
		r.err = errors.New("cut short")
		return 0
	}
	var v uint64
	for _, c := range r.b[:n] {
		v = v<<8 | uint64(c)
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) bytes(n uint64) []byte {
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = errors.New("cut short")
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// hevcTile is one coded picture the direct path decodes: its configuration and data, where it
// goes in the picture, and its colour description when the item has one.
type hevcTile struct {
	config hevcConfig
	data   []byte
	at     image.Point // top-left corner in the stored picture
	size   image.Point // ispe
	nclx   *nclxColour
}

// nclxColour is what the conversion to RGB needs of an nclx description.
type nclxColour struct {
	matrix    int
	fullRange bool
}

// hevcPlan is how the direct path decodes a HEIC's primary image: its tiles (one, for an hvc1
// item) put together into a picture of size, which is the primary's ispe.
type hevcPlan struct {
	size  image.Point
	tiles []hevcTile
}

// planHEVC says how the direct path decodes the primary image of a HEIC, or why it does not
// (errNotDirect): only HEVC pictures of 8 bits, with no alpha plane and no crop, as one hvc1
// item or a grid of them without transformations of their own, whose tiles cover the grid
// as libheif puts them (decode_full_grid_image: a row of tiles as wide as the first tile's
// ispe each). info is parseHEIF's reading of data.
func planHEVC(data []byte, info heifInfo) (hevcPlan, error) {
	if info.codec != "HEVC" || info.depth != 8 || info.alpha || info.cropped || info.turn == 0 {
		return hevcPlan{}, notDirect("%s, %d bits, alpha %v, crop %v", info.codec, info.depth, info.alpha, info.cropped)
	}
	if info.kind != "hvc1" && info.kind != "grid" {
		return hevcPlan{}, notDirect("a %s item", info.kind)
	}
	m, file, err := heifMetaOf(data)
	if err != nil {
		return hevcPlan{}, notDirect("%v", err)
	}
	items, err := parseIloc(m.iloc)
	if err != nil {
		return hevcPlan{}, notDirect("%v", err)
	}
	plan := hevcPlan{size: info.size}
	ids := []uint32{m.primary}
	grid := heifGridData{rows: 1, cols: 1, size: info.size}
	if info.kind == "grid" {
		b, err := itemData(items, m.primary, file, m.idat)
		if err != nil {
			return hevcPlan{}, notDirect("%v", err)
		}
		if grid, err = parseGridData(b); err != nil {
			return hevcPlan{}, notDirect("%v", err)
		}
		ids = m.referenced(m.primary, "dimg")
		if len(ids) != grid.rows*grid.cols || grid.size != info.size {
			return hevcPlan{}, notDirect("a grid of %dx%d, %dx%d, of %d images, in an image of %v",
				grid.rows, grid.cols, grid.size.X, grid.size.Y, len(ids), info.size)
		}
	}
	var y0 int
	for row := range grid.rows {
		var x0, height int
		for col := range grid.cols {
			t, err := m.hevcTile(items, ids[row*grid.cols+col], file, info.kind == "grid")
			if err != nil {
				return hevcPlan{}, err
			}
			// libheif's limit, as openHEIF sets it: no item wider or taller than the
			// primary image's longer side.
			if long := max(plan.size.X, plan.size.Y); t.size.X > long || t.size.Y > long {
				return hevcPlan{}, notDirect("a tile of %v in %v", t.size, plan.size)
			}
			if len(plan.tiles) > 0 && (t.size != plan.tiles[0].size || t.config.chroma != plan.tiles[0].config.chroma) {
				// libheif converts each tile to RGB by itself; the direct path puts their
				// planes together, which must then be alike.
				return hevcPlan{}, notDirect("tiles of %v and %v, chroma formats %d and %d",
					t.size, plan.tiles[0].size, t.config.chroma, plan.tiles[0].config.chroma)
			}
			if x0 >= plan.size.X || y0 >= plan.size.Y {
				return hevcPlan{}, notDirect("a tile outside the grid")
			}
			t.at = image.Pt(x0, y0)
			plan.tiles = append(plan.tiles, t)
			x0 += t.size.X
			height = t.size.Y
		}
		y0 += height
	}
	if y0 < plan.size.Y || plan.tiles[0].size.X*grid.cols < plan.size.X {
		return hevcPlan{}, notDirect("tiles do not cover %v", plan.size)
	}
	return plan, nil
}

// hevcTile reads item id, which must be an hvc1 item; a tile of a grid without
// transformations of its own (libheif would apply them to the tile).
func (m *heifMeta) hevcTile(items map[uint32]ilocItem, id uint32, file []byte, tile bool) (hevcTile, error) {
	if kind := m.kinds[id]; kind != "hvc1" {
		return hevcTile{}, notDirect("a tile of type %q", kind)
	}
	if turn, cropped := m.transforms(id); tile && (turn != 1 || cropped) {
		return hevcTile{}, notDirect("a tile with its own rotation, mirror or crop")
	}
	hvcC, ok := m.property(id, "hvcC")
	if !ok {
		return hevcTile{}, notDirect("no hvcC")
	}
	config, err := parseHvcC(hvcC)
	if err != nil {
		return hevcTile{}, notDirect("%v", err)
	}
	if config.depth != 8 {
		return hevcTile{}, notDirect("%d bits", config.depth)
	}
	ispe, ok := m.property(id, "ispe")
	if !ok || len(ispe) < 12 {
		return hevcTile{}, notDirect("a tile without ispe")
	}
	t := hevcTile{config: config}
	w, h := binary.BigEndian.Uint32(ispe[4:]), binary.BigEndian.Uint32(ispe[8:])
	if w == 0 || h == 0 || w > 1<<16 || h > 1<<16 {
		return hevcTile{}, notDirect("a tile of %dx%d", w, h)
	}
	t.size = image.Pt(int(w), int(h))
	if t.data, err = itemData(items, id, file, m.idat); err != nil {
		return hevcTile{}, notDirect("%v", err)
	}
	// libheif takes the last nclx description of the item, or else the one in the HEVC
	// stream (heif_context.cc, decode_image_planar).
	for _, c := range m.properties(id, "colr") {
		if len(c) >= 4 && string(c[:4]) == "nclx" {
			if len(c) < 11 {
				return hevcTile{}, notDirect("an nclx of %d bytes", len(c))
			}
			t.nclx = &nclxColour{matrix: int(binary.BigEndian.Uint16(c[8:])), fullRange: c[10]&0x80 != 0}
		}
	}
	return t, nil
}

// heifMetaOf reads the meta box of a HEIF file again, for the direct path: parseHEIF has
// checked it already.
func heifMetaOf(data []byte) (*heifMeta, []byte, error) {
	var meta []byte
	walkBoxes(data, func(typ string, body []byte) error {
		if typ == "meta" {
			meta = body // the last, as parseHEIF reads it
		}
		return nil
	})
	if meta == nil {
		return nil, nil, errors.New("no meta box")
	}
	m, err := readMeta(meta)
	if err != nil {
		return nil, nil, err
	}
	if m.iloc == nil {
		return nil, nil, errors.New("no iloc box")
	}
	return m, data, nil
}
