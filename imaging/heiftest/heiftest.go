// Package heiftest reads and writes the container of HEIF files (HEIC, AVIF) for tests, so that
// they can make the files heif-enc cannot: heif-enc 1.15 writes neither a rotation nor a
// mirror (Debian's build ignores the EXIF orientation of its input) nor a grid of tiles, and
// puts no thumbnail or depth map of other content beside the primary image. Tests take the
// coded images of files heif-enc wrote and rearrange them: the codec data is never touched, and
// nothing here decodes pixels.
//
// It reads what heif-enc and this package write, nothing more: it is not a parser for
// outside input (photoproc's own is imaging/heifbox.go).
package heiftest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"slices"
)

// File is a HEIF file: its brands and its items, the first of which has id 1.
type File struct {
	Brands  []string // the major brand first; all of them are also listed as compatible
	Primary int      // index of the primary item in Items
	Items   []Item
}

// Item is one item: an image (hvc1, av01, grid), or metadata (Exif).
type Item struct {
	Type   string
	Hidden bool     // not meant to be shown by itself, such as a tile of a grid
	Props  [][]byte // whole property boxes (hvcC, ispe, irot, ...), in the order they apply
	Refs   []Ref    // references from this item to others
	Data   []byte   // the coded image, grid description or EXIF block
}

// Ref is a reference of some type (dimg, auxl, thmb, cdsc) to items, by index in File.Items.
type Ref struct {
	Type string
	To   []int
}

// Box returns an ISO BMFF box of type typ holding body.
func Box(typ string, body ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(bytes.Join(body, nil))))
	b = append(b, typ...)
	return append(b, bytes.Join(body, nil)...)
}

// FullBox returns a box with a version and flags.
func FullBox(typ string, version byte, flags uint32, body ...[]byte) []byte {
	vf := binary.BigEndian.AppendUint32(nil, uint32(version)<<24|flags&0xffffff)
	return Box(typ, append([][]byte{vf}, body...)...)
}

// Ispe is the image size property.
func Ispe(w, h int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(w))
	return FullBox("ispe", 0, 0, binary.BigEndian.AppendUint32(b, uint32(h)))
}

// Irot turns an image anti-clockwise by quarter turns.
func Irot(quarterTurns int) []byte { return Box("irot", []byte{byte(quarterTurns & 3)}) }

// Imir mirrors an image: axis 1 swaps left and right, 0 top and bottom (as libheif and Apple
// read it; the 2017 text of the standard said the reverse).
func Imir(axis int) []byte { return Box("imir", []byte{byte(axis & 1)}) }

// AuxC says what an auxiliary image is: AlphaURN or DepthURN.
func AuxC(urn string) []byte { return FullBox("auxC", 0, 0, append([]byte(urn), 0)) }

// Types of auxiliary images.
const (
	AlphaURN = "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"
	DepthURN = "urn:mpeg:hevc:2015:auxid:2"
)

// Orientation returns the irot and imir properties that show a picture stored as EXIF
// orientation o (1..8) says upright: rotate first, then mirror, as libheif writes them.
func Orientation(o int) [][]byte {
	switch o {
	case 2:
		return [][]byte{Imir(1)}
	case 3:
		return [][]byte{Irot(2)}
	case 4:
		return [][]byte{Imir(0)}
	case 5:
		return [][]byte{Irot(3), Imir(1)}
	case 6:
		return [][]byte{Irot(3)}
	case 7:
		return [][]byte{Irot(3), Imir(0)}
	case 8:
		return [][]byte{Irot(1)}
	}
	return nil
}

// GridData describes a grid of rows×cols tiles cropped to w×h: the data of a grid item.
func GridData(rows, cols, w, h int) []byte {
	b := []byte{0, 0, byte(rows - 1), byte(cols - 1)}
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	return binary.BigEndian.AppendUint16(b, uint16(h))
}

// Size returns the ispe of an item.
func (it Item) Size() (image.Point, bool) {
	for _, p := range it.Props {
		if string(p[4:8]) == "ispe" && len(p) >= 20 {
			return image.Pt(int(binary.BigEndian.Uint32(p[12:])), int(binary.BigEndian.Uint32(p[16:]))), true
		}
	}
	return image.Point{}, false
}

// Coded returns the indices of the items that hold coded images (hvc1, av01), in order.
func (f *File) Coded() []int {
	var out []int
	for i, it := range f.Items {
		if it.Type == "hvc1" || it.Type == "av01" {
			out = append(out, i)
		}
	}
	return out
}

// AddThumbnail adds the items of thumb to f, its primary image as a thumbnail of f's primary
// image (a 'thmb' reference), as phones store theirs.
func (f *File) AddThumbnail(thumb *File) {
	base := len(f.Items)
	for i, it := range thumb.Items {
		refs := make([]Ref, 0, len(it.Refs)+1)
		for _, r := range it.Refs {
			to := make([]int, len(r.To))
			for k, x := range r.To {
				to[k] = x + base
			}
			refs = append(refs, Ref{Type: r.Type, To: to})
		}
		if i == thumb.Primary {
			refs = append(refs, Ref{Type: "thmb", To: []int{f.Primary}})
		}
		it.Refs = refs
		f.Items = append(f.Items, it)
	}
}

// Bytes writes the file: ftyp, meta, then every item's data in one mdat.
func (f *File) Bytes() []byte {
	ftyp := append([]byte(f.Brands[0]), 0, 0, 0, 0)
	for _, b := range f.Brands {
		ftyp = append(ftyp, b...)
	}
	head := Box("ftyp", ftyp)
	// iloc has fixed-size fields, so the meta box has the same size whatever the offsets.
	meta := f.meta(0)
	start := len(head) + len(meta) + 8
	return slices.Concat(head, f.meta(start), f.mdat())
}

func (f *File) mdat() []byte {
	var data [][]byte
	for _, it := range f.Items {
		data = append(data, it.Data)
	}
	return Box("mdat", data...)
}

func (f *File) meta(dataStart int) []byte {
	hdlr := FullBox("hdlr", 0, 0, make([]byte, 4), []byte("pict"), make([]byte, 12), []byte{0})
	pitm := FullBox("pitm", 0, 0, u16(f.Primary+1))
	var infes, refs [][]byte
	for i, it := range f.Items {
		var flags uint32
		if it.Hidden {
			flags = 1
		}
		infes = append(infes, FullBox("infe", 2, flags, u16(i+1), u16(0), []byte(it.Type), []byte{0}))
		for _, r := range it.Refs {
			body := slices.Concat(u16(i+1), u16(len(r.To)))
			for _, to := range r.To {
				body = append(body, u16(to+1)...)
			}
			refs = append(refs, Box(r.Type, body))
		}
	}
	iinf := FullBox("iinf", 0, 0, append([][]byte{u16(len(f.Items))}, infes...)...)
	boxes := [][]byte{hdlr, pitm, iinf}
	if len(refs) > 0 {
		boxes = append(boxes, FullBox("iref", 0, 0, refs...))
	}
	return FullBox("meta", 0, 0, append(boxes, f.iprp(), f.iloc(dataStart))...)
}

// iprp lists each distinct property once and associates items with them; codec
// configurations and transformations are marked essential, as readers must understand them.
func (f *File) iprp() []byte {
	var props [][]byte
	ipma := binary.BigEndian.AppendUint32(nil, uint32(len(f.Items)))
	for i, it := range f.Items {
		ipma = append(append(ipma, u16(i+1)...), byte(len(it.Props)))
		for _, p := range it.Props {
			index := slices.IndexFunc(props, func(q []byte) bool { return bytes.Equal(p, q) })
			if index < 0 {
				props, index = append(props, p), len(props)
			}
			entry := byte(index + 1)
			switch string(p[4:8]) {
			case "hvcC", "av1C", "irot", "imir", "clap":
				entry |= 0x80
			}
			ipma = append(ipma, entry)
		}
	}
	return Box("iprp", Box("ipco", props...), FullBox("ipma", 0, 0, ipma))
}

// iloc (version 1) places each item's data in mdat, whose payload starts at dataStart.
func (f *File) iloc(dataStart int) []byte {
	body := []byte{0x44, 0x40} // offset and length sizes 4, base offset size 4
	body = append(body, u16(len(f.Items))...)
	offset := dataStart
	for i, it := range f.Items {
		body = slices.Concat(body, u16(i+1), u16(0), u16(0), u32(offset), u16(1), u32(0), u32(len(it.Data)))
		offset += len(it.Data)
	}
	return FullBox("iloc", 1, 0, body)
}

func u16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// Read reads a file heif-enc (or Bytes) wrote.
func Read(data []byte) (*File, error) {
	r := &reader{ids: map[uint32]int{}}
	top, err := boxes(data)
	if err != nil {
		return nil, err
	}
	ftyp, meta := top["ftyp"], top["meta"]
	if ftyp == nil || meta == nil {
		return nil, errors.New("no ftyp or meta box")
	}
	f := &File{}
	f.Brands = append(f.Brands, string(ftyp[0][:4]))
	for b := ftyp[0][8:]; len(b) >= 4; b = b[4:] {
		if string(b[:4]) != f.Brands[0] {
			f.Brands = append(f.Brands, string(b[:4]))
		}
	}
	if err := r.meta(f, meta[0][4:], data); err != nil {
		return nil, err
	}
	return f, nil
}

type reader struct {
	ids map[uint32]int // item index by id
}

// boxes splits data into its boxes by type.
func boxes(data []byte) (map[string][][]byte, error) {
	out := map[string][][]byte{}
	for len(data) > 0 {
		if len(data) < 8 {
			return nil, errors.New("stray bytes")
		}
		size := int(binary.BigEndian.Uint32(data))
		if size == 0 {
			size = len(data)
		}
		if size < 8 || size > len(data) {
			return nil, fmt.Errorf("box %q of %d bytes in %d", data[4:8], size, len(data))
		}
		out[string(data[4:8])] = append(out[string(data[4:8])], data[8:size])
		data = data[size:]
	}
	return out, nil
}

func (r *reader) meta(f *File, meta, file []byte) error {
	b, err := boxes(meta)
	if err != nil {
		return err
	}
	for _, need := range []string{"pitm", "iinf", "iprp", "iloc"} {
		if b[need] == nil {
			return fmt.Errorf("no %s box", need)
		}
	}
	iinf := b["iinf"][0]
	infes, err := boxes(iinf[6:])
	if err != nil {
		return err
	}
	for _, infe := range infes["infe"] {
		r.ids[uint32(binary.BigEndian.Uint16(infe[4:]))] = len(f.Items)
		f.Items = append(f.Items, Item{Type: string(infe[8:12]), Hidden: infe[3]&1 != 0})
	}
	f.Primary = r.ids[uint32(binary.BigEndian.Uint16(b["pitm"][0][4:]))]
	if err := r.props(f, b["iprp"][0]); err != nil {
		return err
	}
	if iref := b["iref"]; iref != nil {
		refs, err := boxesInOrder(iref[0][4:])
		if err != nil {
			return err
		}
		for _, ref := range refs {
			from := r.ids[uint32(binary.BigEndian.Uint16(ref.body))]
			n := int(binary.BigEndian.Uint16(ref.body[2:]))
			rf := Ref{Type: ref.typ}
			for i := range n {
				rf.To = append(rf.To, r.ids[uint32(binary.BigEndian.Uint16(ref.body[4+2*i:]))])
			}
			f.Items[from].Refs = append(f.Items[from].Refs, rf)
		}
	}
	var idat []byte
	if b["idat"] != nil {
		idat = b["idat"][0]
	}
	return r.data(f, b["iloc"][0], file, idat)
}

type box struct {
	typ  string
	body []byte
}

func boxesInOrder(data []byte) ([]box, error) {
	var out []box
	for len(data) > 0 {
		if len(data) < 8 {
			return nil, errors.New("stray bytes")
		}
		size := int(binary.BigEndian.Uint32(data))
		if size < 8 || size > len(data) {
			return nil, errors.New("bad box size")
		}
		out = append(out, box{string(data[4:8]), data[8:size]})
		data = data[size:]
	}
	return out, nil
}

func (r *reader) props(f *File, iprp []byte) error {
	b, err := boxes(iprp)
	if err != nil || b["ipco"] == nil || b["ipma"] == nil {
		return fmt.Errorf("iprp: %v", err)
	}
	props, err := boxesInOrder(b["ipco"][0])
	if err != nil {
		return err
	}
	ipma := b["ipma"][0]
	if ipma[0] != 0 || ipma[3]&1 != 0 {
		return errors.New("only ipma version 0 with 7-bit indices is read")
	}
	n := int(binary.BigEndian.Uint32(ipma[4:]))
	rest := ipma[8:]
	for range n {
		item := r.ids[uint32(binary.BigEndian.Uint16(rest))]
		count := int(rest[2])
		for _, e := range rest[3 : 3+count] {
			p := props[int(e&0x7f)-1]
			f.Items[item].Props = append(f.Items[item].Props, Box(p.typ, p.body))
		}
		rest = rest[3+count:]
	}
	return nil
}

// data reads iloc versions 0 to 2 as heif-enc writes them: offsets in the file (construction
// method 0) or in idat (1).
func (r *reader) data(f *File, iloc, file, idat []byte) error {
	version := iloc[0]
	sizes := iloc[4:6]
	offSize, lenSize, baseSize, indexSize := int(sizes[0]>>4), int(sizes[0]&15), int(sizes[1]>>4), int(sizes[1]&15)
	if version == 0 {
		indexSize = 0
	}
	pos := 6
	read := func(n int) int {
		v := 0
		for range n {
			v = v<<8 | int(iloc[pos])
			pos++
		}
		return v
	}
	count := read(2)
	if version == 2 {
		pos -= 2
		count = read(4)
	}
	for range count {
		idSize := 2
		if version == 2 {
			idSize = 4
		}
		item := r.ids[uint32(read(idSize))]
		method := 0
		if version >= 1 {
			method = read(2) & 15
		}
		read(2) // data reference index
		base := read(baseSize)
		extents := read(2)
		var data []byte
		for range extents {
			read(indexSize)
			off, n := base+read(offSize), read(lenSize)
			src := file
			if method == 1 {
				src = idat
			}
			if off+n > len(src) {
				return fmt.Errorf("item %d runs past its data", item+1)
			}
			data = append(data, src[off:off+n]...)
		}
		f.Items[item].Data = data
	}
	return nil
}

// Clap crops an image to w×h around its centre.
func Clap(w, h int) []byte {
	var b []byte
	for _, v := range []int{w, 1, h, 1, 0, 1, 0, 1} {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return Box("clap", b)
}
