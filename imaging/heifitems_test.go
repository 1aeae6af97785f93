package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"slices"
	"testing"

	"github.com/photoproc/photoproc/imaging/heiftest"
)

// ilocBox builds the body of an iloc box of a version, with field sizes (offset, length,
// base offset, index; in bytes) and items of one method, base and extents each.
type ilocEntry struct {
	id      uint32
	method  int
	base    uint64
	extents [][3]uint64 // index, offset, length
}

func ilocBody(version byte, off, length, base, index int, items ...ilocEntry) []byte {
	b := []byte{version, 0, 0, 0, byte(off<<4 | length), byte(base<<4 | index)}
	put := func(v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			b = append(b, byte(v>>(8*i)))
		}
	}
	idSize := 2
	if version == 2 {
		idSize = 4
	}
	put(uint64(len(items)), idSize)
	for _, it := range items {
		put(uint64(it.id), idSize)
		if version >= 1 {
			put(uint64(it.method), 2)
		}
		put(0, 2)
		put(it.base, base)
		put(uint64(len(it.extents)), 2)
		for _, e := range it.extents {
			if version >= 1 {
				put(e[0], index)
			}
			put(e[1], off)
			put(e[2], length)
		}
	}
	return b
}

func TestParseIloc(t *testing.T) {
	t.Parallel()
	file := []byte("0123456789abcdefghij")
	idat := []byte("IDAT-DATA")
	for _, tc := range []struct {
		name string
		body []byte
		id   uint32
		want string
	}{
		{"version 0, 4-byte fields", ilocBody(0, 4, 4, 0, 0, ilocEntry{id: 7, extents: [][3]uint64{{0, 3, 4}}}), 7, "3456"},
		{"version 1, base offset and 8-byte fields", ilocBody(1, 8, 8, 4, 0, ilocEntry{id: 1, base: 10, extents: [][3]uint64{{0, 2, 3}}}), 1, "cde"},
		{"version 1, two extents joined", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 2, extents: [][3]uint64{{0, 0, 2}, {0, 18, 2}}}), 2, "01ij"},
		{"version 1, in idat", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 3, method: 1, extents: [][3]uint64{{0, 5, 4}}}), 3, "DATA"},
		{"version 2, 32-bit ids, extent indices", ilocBody(2, 4, 4, 0, 4, ilocEntry{id: 70000, extents: [][3]uint64{{1, 1, 2}}}), 70000, "12"},
		{"version 1, offset of 0 bytes", ilocBody(1, 0, 4, 4, 0, ilocEntry{id: 4, base: 16, extents: [][3]uint64{{0, 0, 4}}}), 4, "ghij"},
	} {
		items, err := parseIloc(tc.body)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got, err := itemData(items, tc.id, file, idat)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestParseIlocErrors(t *testing.T) {
	t.Parallel()
	file := make([]byte, 100)
	for _, tc := range []struct {
		name string
		body []byte
		id   uint32
	}{
		{"past the end of the file", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 90, 11}}}), 1},
		{"base offset past the end", ilocBody(1, 4, 4, 4, 0, ilocEntry{id: 1, base: 1 << 31, extents: [][3]uint64{{0, 0, 1}}}), 1},
		{"offset wrapping around", ilocBody(1, 8, 8, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 1<<64 - 1, 2}}}), 1},
		{"length 0", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 0, 0}}}), 1},
		{"no extents", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1}), 1},
		{"in idat, without idat", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, method: 1, extents: [][3]uint64{{0, 0, 1}}}), 1},
		{"construction method 2", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, method: 2, extents: [][3]uint64{{0, 0, 1}}}), 1},
		{"extents larger than the file together", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 0, 60}, {0, 0, 60}}}), 1},
		{"another item", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 0, 1}}}), 2},
		{"fields of 2 bytes", ilocBody(1, 2, 2, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 0, 1}}}), 1},
		{"version 3", append([]byte{3}, ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 0, 1}}})[1:]...), 1},
		{"cut short", ilocBody(1, 4, 4, 0, 0, ilocEntry{id: 1, extents: [][3]uint64{{0, 0, 1}}})[:14], 1},
		{"a million items in a few bytes", []byte{2, 0, 0, 0, 0x44, 0, 0, 0x0f, 0x42, 0x40, 0, 1}, 1},
	} {
		items, err := parseIloc(tc.body)
		if err == nil {
			_, err = itemData(items, tc.id, file, nil)
		}
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// hvcCBody builds an hvcC of NAL unit length size n, 4:2:0, 8 bits, with arrays of NAL units.
func hvcCBody(n int, arrays ...[][]byte) []byte {
	b := make([]byte, 23)
	b[0] = 1
	b[16] = 0xfc | 1 // chroma_format_idc 1
	b[17], b[18] = 0xf8, 0xf8
	b[21] = byte(n - 1)
	b[22] = byte(len(arrays))
	for i, nals := range arrays {
		b = append(b, byte(32+i))
		b = binary.BigEndian.AppendUint16(b, uint16(len(nals)))
		for _, nal := range nals {
			b = binary.BigEndian.AppendUint16(b, uint16(len(nal)))
			b = append(b, nal...)
		}
	}
	return b
}

func TestParseHvcC(t *testing.T) {
	t.Parallel()
	vps, sps, pps := []byte("\x40\x01vps"), []byte("\x42\x01sps!"), []byte("\x44\x01p")
	c, err := parseHvcC(hvcCBody(4, [][]byte{vps}, [][]byte{sps}, [][]byte{pps}))
	if err != nil || c.lengthSize != 4 || c.chroma != 1 || c.depth != 8 ||
		!slices.EqualFunc(c.nals, [][]byte{vps, sps, pps}, bytes.Equal) {
		t.Errorf("parseHvcC = %+v, %v", c, err)
	}
	for name, b := range map[string][]byte{
		"cut in the header":       hvcCBody(4)[:20],
		"cut in a NAL unit":       hvcCBody(4, [][]byte{sps})[:28],
		"NAL unit of one byte":    hvcCBody(4, [][]byte{{0x40}}),
		"lengths of 3 bytes":      hvcCBody(3, [][]byte{vps}),
		"configuration version 0": append([]byte{0}, hvcCBody(4, [][]byte{vps})[1:]...),
	} {
		if _, err := parseHvcC(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSplitNALs(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 2, 4} {
		var data []byte
		want := [][]byte{[]byte("\x26\x01slice"), []byte("\x02\x01xy")}
		for _, nal := range want {
			data = append(data, make([]byte, size-1)...)
			data = append(data, byte(len(nal)))
			data = append(data, nal...)
		}
		got, err := splitNALs(data, size)
		if err != nil || !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("lengths of %d bytes: %q, %v", size, got, err)
		}
		if _, err := splitNALs(data[:len(data)-1], size); err == nil {
			t.Errorf("lengths of %d bytes: cut short, accepted", size)
		}
	}
	if _, err := splitNALs(nil, 4); err == nil {
		t.Error("no data: accepted")
	}
}

func TestParseGridData(t *testing.T) {
	t.Parallel()
	wide := []byte{0, 1, 2, 3, 0, 1, 0, 0, 0, 0, 0x0b, 0xd0}
	for _, tc := range []struct {
		b    []byte
		want heifGridData
		ok   bool
	}{
		{heiftest.GridData(6, 8, 4032, 3024), heifGridData{6, 8, image.Pt(4032, 3024)}, true},
		{wide, heifGridData{3, 4, image.Pt(65536, 3024)}, true},
		{wide[:10], heifGridData{}, false},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 8}, heifGridData{}, false}, // width 0
		{append([]byte{1}, heiftest.GridData(1, 1, 8, 8)[1:]...), heifGridData{}, false},
	} {
		got, err := parseGridData(tc.b)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseGridData(% x) = %+v, %v; want %+v", tc.b, got, err, tc.want)
		}
	}
}

// FuzzHEIFItems feeds any bytes to the readers of the direct path: it must not panic, and a
// plan it makes must hold only data inside the file.
func FuzzHEIFItems(f *testing.F) {
	for _, name := range []string{"quad.heic", "alpha.heic", "tiles.heic", "quad10.heic"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(heifGrid(f, "heic", upright, heiftest.Orientation(6)...).Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		parseHvcC(data)
		parseGridData(data)
		splitNALs(data, 4)
		if items, err := parseIloc(data); err == nil {
			for id := range items {
				if b, err := itemData(items, id, data, data); err == nil && len(b) > len(data) {
					t.Fatalf("item %d of %d bytes in %d", id, len(b), len(data))
				}
			}
		}
		info, err := parseHEIF(formatHEIC, data)
		if err != nil {
			return
		}
		plan, err := planHEVC(data, info)
		if err != nil {
			if !errors.Is(err, errNotDirect) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if len(plan.tiles) == 0 {
			t.Fatal("a plan of no tiles")
		}
		for _, tile := range plan.tiles {
			if len(tile.data) > len(data) || tile.at.X >= plan.size.X || tile.at.Y >= plan.size.Y {
				t.Fatalf("tile %+v in a plan of %v, file of %d bytes", tile.at, plan.size, len(data))
			}
		}
	})
}
