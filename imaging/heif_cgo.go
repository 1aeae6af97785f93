//go:build cgo && !purego && !noheif

package imaging

/*
#cgo LDFLAGS: -lheif
#include <stdlib.h>
#include <libheif/heif.h>
*/
import "C"

import (
	"fmt"
	"image"
	"slices"
	"strings"
	"unsafe"
)

// HEIFCodec names the HEIF decoder built in: "libheif" with cgo and libheif's header, "none"
// without (CGO_ENABLED=0, or the purego or noheif tag).
const HEIFCodec = "libheif"

// libheif is initialised once for the process and never released, as its documentation asks
// of a program that uses it throughout: heif_init loads the codec plugins of libheif builds
// that have them and sets up libde265's tables. Pairs of heif_init and heif_deinit around
// each use would redo that (~8 ms) whenever no other decode was running.
func init() { C.heif_init(nil) }

// HEIFSupport says what this build decodes of HEIC and AVIF, for `photoproc version` and the
// daemon's start log: libheif's version and the codecs it has decoders for.
func HEIFSupport() string {
	var formats []string
	if C.heif_have_decoder_for_format(C.heif_compression_HEVC) != 0 {
		formats = append(formats, "HEIC")
	}
	if C.heif_have_decoder_for_format(C.heif_compression_AV1) != 0 {
		formats = append(formats, "AVIF")
	}
	if len(formats) == 0 {
		formats = []string{"no decoders: HEIC and AVIF are refused"}
	}
	return fmt.Sprintf("libheif %s (%s)", C.GoString(C.heif_get_version()), strings.Join(formats, ", "))
}

// heifDoc is a HEIF file opened by libheif, and its primary image.
type heifDoc struct {
	ctx    *C.struct_heif_context
	handle *C.struct_heif_image_handle
	mem    unsafe.Pointer // the file, in C memory: libheif reads it while the context lives
}

// openHEIF parses data with libheif, which decodes nothing yet. libheif's own limit refuses any
// item (tile, alpha plane, thumbnail) wider or taller than the primary image, whose ispe the
// pixel limit is checked on, before it allocates its pixels.
func openHEIF(f format, data []byte, info heifInfo) (*heifDoc, error) {
	compression := uint32(C.heif_compression_HEVC)
	if info.codec == "AV1" {
		compression = C.heif_compression_AV1
	}
	d := &heifDoc{ctx: C.heif_context_alloc()}
	if C.heif_have_decoder_for_format(compression) == 0 {
		d.close()
		return nil, heifRefusal(f, info, fmt.Sprintf("this photoproc's libheif %s cannot decode: it has no %s decoder",
			C.GoString(C.heif_get_version()), info.codec))
	}
	C.heif_context_set_maximum_image_size_limit(d.ctx, C.int(max(info.size.X, info.size.Y)+1))
	// Tiles in the calling thread: the daemon runs a photo per core, and libheif's own tile
	// threads (as many as the cores again) only oversubscribe them.
	C.heif_context_set_max_decoding_threads(d.ctx, 0)
	// cgo forbids C from keeping a Go pointer after a call returns; libheif keeps this one.
	d.mem = C.CBytes(data)
	if e := C.heif_context_read_from_memory_without_copy(d.ctx, d.mem, C.size_t(len(data)), nil); e.code != C.heif_error_Ok {
		err := heifError(f, e)
		d.close()
		return nil, err
	}
	if e := C.heif_context_get_primary_image_handle(d.ctx, &d.handle); e.code != C.heif_error_Ok {
		err := heifError(f, e)
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *heifDoc) close() {
	if d.handle != nil {
		C.heif_image_handle_release(d.handle)
	}
	C.heif_context_free(d.ctx)
	C.free(d.mem) // free(NULL) does nothing
}

// heifShownSize returns the size libheif will decode the primary image to: after its crop and
// rotation. libheif reads it from the container; it is not taken from our own reading, because
// libheif 1.15 itself wrote rotated files whose ispe holds the rotated size.
func heifShownSize(f format, data []byte, info heifInfo) (image.Point, error) {
	d, err := openHEIF(f, data, info)
	if err != nil {
		return image.Point{}, err
	}
	defer d.close()
	return image.Pt(int(C.heif_image_handle_get_width(d.handle)), int(C.heif_image_handle_get_height(d.handle))), nil
}

// decodeHEIF decodes the primary image of a HEIF file, which heifShownSize said is shown at
// shown, as premultiplied RGBA: cropped, turned and mirrored as the file says (libheif applies
// clap, irot and imir), the alpha plane merged, grid tiles put together, 10- and 12-bit samples
// brought to 8 bits. libheif cannot scale while decoding; the copy out of its picture averages
// blocks of k×k pixels where the result still covers atLeast twice (heifShrink). Where the
// primary image has a thumbnail that covers atLeast and shows the same picture, that is
// decoded instead (heifThumbnail).
//
// There is no deadline: libheif 1.15 cannot be interrupted while it decodes one image, so the
// time is bounded by the pixel limit instead (a 12 MP HEIC takes ~0.8 s of CPU, an AVIF ~0.4 s).
func decodeHEIF(f format, data []byte, shown, atLeast image.Point) (image.Image, error) {
	info, err := parseHEIF(f, data)
	if err != nil {
		return nil, err
	}
	d, err := openHEIF(f, data, info)
	if err != nil {
		return nil, err
	}
	defer d.close()
	img := d.heifThumbnail(f, info, shown, atLeast)
	if img == nil && f == formatHEIC {
		if direct, err := decodeHEIFDirect(data, info, shown, atLeast); err == nil {
			img = direct
		}
	}
	if img == nil {
		if img, err = decodeHandle(f, d.handle, shown, atLeast, false); err != nil {
			return nil, err
		}
	}
	if C.heif_image_handle_has_alpha_channel(d.handle) == 0 {
		return opaqueRGBA{img}, nil // a thumbnail item has alpha iff the primary has
	}
	return img, nil
}

// decodeHandle decodes the image of handle, which must come out size pixels, with its own
// transformations unless raw, and copies it out shrunk as decodeHEIF says.
func decodeHandle(f format, handle *C.struct_heif_image_handle, size, atLeast image.Point, raw bool) (*image.RGBA, error) {
	alpha := C.heif_image_handle_has_alpha_channel(handle) != 0
	if !alpha && C.heif_image_handle_get_luma_bits_per_pixel(handle) == 8 {
		return decodePlanes(f, handle, size, atLeast, raw)
	}
	return decodeInterleaved(f, handle, size, atLeast, raw, alpha)
}

// decode decodes the image of handle into colorspace and chroma, brought to 8 bits a sample
// where chroma is interleaved, with its own transformations unless raw. The caller releases it.
func decode(f format, handle *C.struct_heif_image_handle, colorspace, chroma uint32, raw bool) (*C.struct_heif_image, error) {
	opts := C.heif_decoding_options_alloc()
	defer C.heif_decoding_options_free(opts)
	opts.convert_hdr_to_8bit = 1
	if raw {
		opts.ignore_transformations = 1
	}
	var img *C.struct_heif_image
	if e := C.heif_decode_image(handle, &img, colorspace, chroma, opts); e.code != C.heif_error_Ok {
		return nil, heifError(f, e)
	}
	return img, nil
}

// decodeInterleaved decodes the image of handle as interleaved RGB, or RGBA if alpha, brought
// to 8 bits a sample, and copies it out shrunk as decodeHEIF says.
func decodeInterleaved(f format, handle *C.struct_heif_image_handle, size, atLeast image.Point, raw, alpha bool) (*image.RGBA, error) {
	chroma, channels := uint32(C.heif_chroma_interleaved_RGB), 3
	if alpha {
		chroma, channels = C.heif_chroma_interleaved_RGBA, 4
	}
	img, err := decode(f, handle, C.heif_colorspace_RGB, chroma, raw)
	if err != nil {
		return nil, err
	}
	defer C.heif_image_release(img)
	plane, stride, err := heifPlane(f, img, C.heif_channel_interleaved, size, 8*channels)
	if err != nil {
		return nil, err
	}
	premultiplied := C.heif_image_is_premultiplied_alpha(img) != 0
	return heifShrink(heifPixels{plane, stride, size, channels, premultiplied}, heifShrinkFactor(size, atLeast)), nil
}

// decodePlanes decodes an image without alpha as three planes of red, green and blue, and
// copies them out shrunk as decodeHEIF says: an image of 8 bits a sample (convert_hdr_to_8bit
// applies to interleaved RGB only). libheif 1.15 converts every picture it decodes to planar
// RGB first, whatever it is asked for (HeifContext::decode_image_planar): taking those planes
// skips its copy into interleaved RGB and the memory of a second picture, and the box average
// reads one byte array at a time (docs/performance.md, "HEIC and AVIF").
func decodePlanes(f format, handle *C.struct_heif_image_handle, size, atLeast image.Point, raw bool) (*image.RGBA, error) {
	img, err := decode(f, handle, C.heif_colorspace_RGB, C.heif_chroma_444, raw)
	if err != nil {
		return nil, err
	}
	defer C.heif_image_release(img)
	p := heifPlanes{size: size}
	for c, ch := range []C.enum_heif_channel{C.heif_channel_R, C.heif_channel_G, C.heif_channel_B} {
		plane, stride, err := heifPlane(f, img, ch, size, 8)
		if err != nil {
			return nil, err
		}
		p.planes[c], p.strides[c] = plane, stride
	}
	return heifShrinkPlanes(p, heifShrinkFactor(size, atLeast)), nil
}

// heifPlane returns the channel ch of img, which must be size pixels of bits bits each, and its
// stride.
func heifPlane(f format, img *C.struct_heif_image, ch C.enum_heif_channel, size image.Point, bits int) ([]byte, int, error) {
	got := image.Pt(int(C.heif_image_get_width(img, ch)), int(C.heif_image_get_height(img, ch)))
	if got != size {
		return nil, 0, fmt.Errorf("%w: %s pixels are %dx%d, its header says %dx%d",
			ErrCorrupt, f.label(), got.X, got.Y, size.X, size.Y)
	}
	if b := int(C.heif_image_get_bits_per_pixel(img, ch)); b != bits {
		return nil, 0, fmt.Errorf("%w: libheif gave %d bits per pixel, not %d", ErrCorrupt, b, bits)
	}
	var stride C.int
	plane := C.heif_image_get_plane_readonly(img, ch, &stride)
	if plane == nil || int(stride) < bits/8*size.X {
		return nil, 0, fmt.Errorf("%w: libheif gave no %s pixels", ErrCorrupt, f.label())
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(plane)), int(stride)*(size.Y-1)+bits/8*size.X), int(stride), nil
}

// heifShrinkFactor is the k of heifShrink: the largest block that leaves the picture at least
// twice atLeast.
func heifShrinkFactor(size, atLeast image.Point) int {
	return max(1, min(size.X/(2*max(atLeast.X, 1)), size.Y/(2*max(atLeast.Y, 1))))
}

// heifThumbnail decodes the smallest thumbnail of the primary image that can stand for it, or
// returns nil. Phones store one (an iPhone's is 320x240 or so, of a 12 MP picture) that
// decodes in a hundredth of the time. It stands for the primary image when, shown as the
// primary image is (its rotation and mirror, which are the primary's, not any of its own),
// it covers atLeast, it is no larger than the primary image shown, and its shape is the
// primary's within a pixel (libvips' rule: a letterboxed thumbnail is not the picture); and
// when it has an alpha plane if and only if the primary image has. A primary image with a crop
// (clap) does not use its thumbnails: what they show of the picture is not known. A thumbnail
// that fails to decode or decodes to another size than it says is passed over. Its colours
// are converted with the primary's profile, as everything decoded from the file is
// (colour.go).
func (d *heifDoc) heifThumbnail(f format, info heifInfo, shown, atLeast image.Point) *image.RGBA {
	n := int(C.heif_image_handle_get_number_of_thumbnails(d.handle))
	if n == 0 || info.cropped || info.turn == 0 {
		return nil
	}
	ids := make([]C.heif_item_id, n)
	n = int(C.heif_image_handle_get_list_of_thumbnail_IDs(d.handle, &ids[0], C.int(n)))
	type candidate struct {
		id     C.heif_item_id
		stored image.Point
	}
	var usable []candidate
	alpha := C.heif_image_handle_has_alpha_channel(d.handle) != 0
	for _, id := range ids[:n] {
		var th *C.struct_heif_image_handle
		if e := C.heif_image_handle_get_thumbnail(d.handle, id, &th); e.code != C.heif_error_Ok {
			continue
		}
		stored := image.Pt(int(C.heif_image_handle_get_ispe_width(th)), int(C.heif_image_handle_get_ispe_height(th)))
		hasAlpha := C.heif_image_handle_has_alpha_channel(th) != 0
		C.heif_image_handle_release(th)
		if hasAlpha == alpha && thumbnailStandsFor(stored, info.turn, shown, atLeast) {
			usable = append(usable, candidate{id, stored})
		}
	}
	slices.SortFunc(usable, func(a, b candidate) int { return a.stored.X*a.stored.Y - b.stored.X*b.stored.Y })
	for _, c := range usable {
		var th *C.struct_heif_image_handle
		if e := C.heif_image_handle_get_thumbnail(d.handle, c.id, &th); e.code != C.heif_error_Ok {
			continue
		}
		need := atLeast // in the thumbnail's stored axes
		if swapsAxes(info.turn) {
			need = image.Pt(atLeast.Y, atLeast.X)
		}
		img, err := decodeHandle(f, th, c.stored, need, true)
		C.heif_image_handle_release(th)
		if err != nil {
			continue
		}
		upright, _ := orient(nil, img, info.turn)
		return upright
	}
	return nil
}

// thumbnailStandsFor reports whether a thumbnail stored at stored, shown turned as the primary
// image is (EXIF orientation turn), can stand for the primary image shown at shown, for a
// picture of at least atLeast (the primary image fitted into the largest box): its shape is
// the primary's fitted into its longer side to within a pixel in each axis (encoders round the
// shorter side either way: heif-enc makes a 320x212 thumbnail of a 600x400 picture), it is as
// large as atLeast along the longer side and within a pixel of it along the other, and no
// larger than the primary. See heifThumbnail.
func thumbnailStandsFor(stored image.Point, turn int, shown, atLeast image.Point) bool {
	up := stored
	if swapsAxes(turn) {
		up = image.Pt(stored.Y, stored.X)
	}
	shape := image.Pt(fit(shown.X, shown.Y, max(up.X, up.Y)))
	long := up.X >= atLeast.X
	if shown.Y > shown.X {
		long = up.Y >= atLeast.Y
	}
	return abs(up.X-shape.X) <= 1 && abs(up.Y-shape.Y) <= 1 && long &&
		up.X >= atLeast.X-1 && up.Y >= atLeast.Y-1 && up.X <= shown.X && up.Y <= shown.Y
}

func abs(v int) int { return max(v, -v) }

// heifPixels is libheif's decoded picture: interleaved RGB, or RGBA with straight alpha unless
// premultiplied says otherwise.
type heifPixels struct {
	pix           []byte
	stride        int
	size          image.Point
	channels      int
	premultiplied bool
}

// heifShrink copies p into Go memory as premultiplied RGBA, shrunk by k: each output pixel is
// the mean of a block of k×k source pixels, or k+1 where k does not divide the size, so that
// the blocks cover the picture exactly, as a box filter does, in the calling goroutine (one
// photo is one goroutine's work). This is the box reduction the worker's resize would do
// (worker.go), read straight from libheif's picture: a 12 MP photo is never copied whole into
// Go memory, which saves its 48 MB and ~15 % of the CPU.
func heifShrink(p heifPixels, k int) *image.RGBA {
	dst := shrunk(p.size, k)
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	edges := blockEdges(p.size.X, w)
	sums := make([]uint32, 4*w)
	for y := range h {
		clear(sums)
		top, bottom := y*p.size.Y/h, (y+1)*p.size.Y/h
		for sy := top; sy < bottom; sy++ {
			p.addRow(sums, p.pix[sy*p.stride:], edges)
		}
		out := dst.Pix[y*dst.Stride:]
		for x := range w {
			n := uint32((bottom - top) * (edges[x+1] - edges[x]))
			for c := range 4 {
				out[4*x+c] = uint8((sums[4*x+c] + n/2) / n)
			}
		}
	}
	return dst
}

// shrunk returns the picture heifShrink makes of one of size shrunk by k.
func shrunk(size image.Point, k int) *image.RGBA {
	return image.NewRGBA(image.Rect(0, 0, max(1, size.X/k), max(1, size.Y/k)))
}

// heifPlanes is libheif's decoded picture of an image without alpha: planes of red, green and
// blue.
type heifPlanes struct {
	planes  [3][]byte
	strides [3]int
	size    image.Point
}

// heifShrinkPlanes is heifShrink of an image without alpha in planes, with the same blocks and
// the same result, a plane at a time (averagePlane).
func heifShrinkPlanes(p heifPlanes, k int) *image.RGBA {
	dst := shrunk(p.size, k)
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	avg := make([]uint8, w*h)
	for c, plane := range p.planes {
		averagePlane(avg, w, h, plane, p.strides[c], p.size)
		for i, v := range avg {
			dst.Pix[4*i+c] = v
		}
	}
	for i := 3; i < len(dst.Pix); i += 4 {
		dst.Pix[i] = 0xff
	}
	return dst
}

// addRow adds one row of pixels, premultiplied, into the sums of the blocks edges delimit.
func (p heifPixels) addRow(sums []uint32, row []byte, edges []int) {
	for b := range len(edges) - 1 {
		s := sums[4*b : 4*b+4]
		for x := edges[b]; x < edges[b+1]; x++ {
			q := row[p.channels*x:]
			if p.channels == 3 {
				s[0], s[1], s[2], s[3] = s[0]+uint32(q[0]), s[1]+uint32(q[1]), s[2]+uint32(q[2]), s[3]+0xff
				continue
			}
			r, g, bl, a := q[0], q[1], q[2], q[3]
			if !p.premultiplied && a != 0xff {
				r, g, bl = premultiply(r, a), premultiply(g, a), premultiply(bl, a)
			}
			s[0], s[1], s[2], s[3] = s[0]+uint32(r), s[1]+uint32(g), s[2]+uint32(bl), s[3]+uint32(a)
		}
	}
}

// heifError classifies an error of libheif and says what it means for the photo. libheif's
// message is copied here: it may live in the context, which is freed next.
func heifError(f format, e C.struct_heif_error) error {
	msg := C.GoString(e.message)
	switch {
	case e.code == C.heif_error_Unsupported_feature, e.code == C.heif_error_Unsupported_filetype:
		return fmt.Errorf("%w: a kind of %s that libheif does not decode (%s)", ErrUnsupportedFormat, f.label(), msg)
	case e.subcode == C.heif_suberror_Security_limit_exceeded:
		return fmt.Errorf("%w: %s beyond libheif's safety limits (%s)", ErrUnsupportedFormat, f.withArticle(), msg)
	case e.subcode == C.heif_suberror_End_of_data:
		return fmt.Errorf("%w: truncated %s (the data ends before the picture does)", ErrCorrupt, f.label())
	}
	return fmt.Errorf("%w: damaged %s data (libheif: %s)", ErrCorrupt, f.label(), msg)
}
