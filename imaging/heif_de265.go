//go:build cgo && !purego && !noheif

package imaging

/*
#cgo LDFLAGS: -lde265
#include <stdlib.h>
#include <libde265/de265.h>

// pp_get_buffer allocates a picture's planes as libde265's own allocator does (image.cc,
// de265_image_get_buffer), but zeroed (calloc: pages the kernel gives zeroed are not written
// again), so that what libde265 leaves undecoded of a picture is told from what it decoded
// (undecodedBlock) instead of showing the memory's earlier content. libde265 1.0.11 takes the
// pictures it outputs from here only when SAO is off (decctx.cc, isOutputImage).
static int pp_get_buffer(de265_decoder_context* ctx, struct de265_image_spec* spec, struct de265_image* img, void* userdata) {
	enum de265_chroma chroma = de265_get_chroma_format(img);
	int sw = (chroma == de265_chroma_420 || chroma == de265_chroma_422) ? 2 : 1;
	int sh = chroma == de265_chroma_420 ? 2 : 1;
	int a = spec->alignment;
	int luma_stride = (spec->width + a - 1) / a * a;
	int chroma_stride = (spec->width / sw + a - 1) / a * a;
	size_t luma_bytes = (size_t)(de265_get_bits_per_pixel(img, 0) + 7) / 8;
	size_t chroma_bytes = (size_t)(de265_get_bits_per_pixel(img, 1) + 7) / 8;
	void* p[3] = {NULL, NULL, NULL};
	p[0] = calloc(1, (size_t)spec->height * luma_stride * luma_bytes + 16);
	int ok = p[0] != NULL;
	if (chroma != de265_chroma_mono) {
		for (int c = 1; c < 3; c++) {
			p[c] = calloc(1, (size_t)(spec->height / sh) * chroma_stride * chroma_bytes + 16);
			ok = ok && p[c] != NULL;
		}
	} else {
		chroma_stride = 0;
	}
	if (!ok) {
		for (int c = 0; c < 3; c++) {
			free(p[c]);
		}
		return 0;
	}
	for (int c = 0; c < 3; c++) {
		de265_set_image_plane(img, c, p[c], c == 0 ? luma_stride : chroma_stride, p[c]);
	}
	return 1;
}

static void pp_release_buffer(de265_decoder_context* ctx, struct de265_image* img, void* userdata) {
	for (int c = 0; c < 3; c++) {
		free(de265_get_image_plane_user_data(img, c));
	}
}

static const struct de265_image_allocation pp_allocation = {pp_get_buffer, pp_release_buffer};

static void pp_set_allocation(de265_decoder_context* ctx) {
	de265_set_image_allocation_functions(ctx, (struct de265_image_allocation*)&pp_allocation, NULL);
}

// pp_decode decodes what was pushed into ctx and gives the one picture it makes. It returns
// DE265_OK, an error or warning of libde265 (the first), or -1 for no picture or more than one,
// -2 when decoding does not end. No worker threads were started: libde265 decodes in the
// calling thread.
static int pp_decode(de265_decoder_context* ctx, int rounds, const struct de265_image** out) {
	*out = NULL;
	de265_error err = de265_flush_data(ctx);
	if (err != DE265_OK) {
		return err;
	}
	int more = 1, pictures = 0;
	while (more) {
		if (rounds-- == 0) {
			return -2;
		}
		more = 0;
		err = de265_decode(ctx, &more);
		if (err != DE265_OK) {
			return err;
		}
		// As libheif does: the picture stays valid until the decoder decodes again or is freed.
		const struct de265_image* img = de265_get_next_picture(ctx);
		if (img != NULL) {
			*out = img;
			pictures++;
		}
	}
	err = de265_get_warning(ctx);
	if (err != DE265_OK) {
		return err;
	}
	return pictures == 1 ? DE265_OK : -1;
}
*/
import "C"

import (
	"image"
	"unsafe"
)

// decodeHEIFDirect decodes the primary image of a HEIC, coded with HEVC, with libde265 itself
// instead of through libheif, and returns it as decodeHEIF does, shrunk by heifShrinkFactor (or
// by the chroma's subsampling where that is more and still covers atLeast) and turned and
// mirrored as the file says: libheif 1.15 converts every decoded picture to RGB at
// full size, which took a fifth of the instructions of a 12 MP HEIC's thumbnail; here the
// decoder's planes are averaged first and only the small result is converted (heifycc.go).
// Files it does not decode exactly as libheif would, and any error or warning of libde265, are
// errNotDirect: decodeHEIF then gives the file to libheif, which decodes it or says what is
// wrong, as before.
func decodeHEIFDirect(data []byte, info heifInfo, shown, atLeast image.Point) (*image.RGBA, error) {
	plan, err := planHEVC(data, info)
	if err != nil {
		return nil, err
	}
	up := plan.size
	if swapsAxes(info.turn) {
		up = image.Pt(up.Y, up.X)
	}
	if up != shown {
		return nil, notDirect("shown at %v, stored at %v", shown, plan.size)
	}
	k := heifShrinkFactor(shown, atLeast)
	first := plan.tiles[0].config
	sub, ok := chromaSubsampling(first.chroma)
	if !ok {
		return nil, notDirect("chroma format %d", first.chroma)
	}
	// Blocks smaller than the chroma's subsampling would need chroma upsampled: where a box is
	// large (1280 of a 12 MP photo), blocks of the subsampling's size still cover it, and the
	// resize finishes from there instead of from the whole picture.
	if ks := max(sub.X, sub.Y); k < ks {
		need := atLeast
		if swapsAxes(info.turn) {
			need = image.Pt(atLeast.Y, atLeast.X)
		}
		if plan.size.X/ks >= need.X && plan.size.Y/ks >= need.Y {
			k = ks
		}
	}
	w, h := max(1, plan.size.X/k), max(1, plan.size.Y/k)
	if sub != (image.Point{}) && (ceilDiv(plan.size.X, sub.X) < w || ceilDiv(plan.size.Y, sub.Y) < h) {
		return nil, notDirect("chroma planes smaller than the %dx%d result", w, h)
	}
	var img *image.RGBA
	if len(plan.tiles) == 1 {
		img, err = decodeOneHEVC(plan.tiles[0], plan.size, sub, w, h)
	} else {
		img, err = decodeHEVCGrid(plan, sub, w, h)
	}
	if err != nil {
		return nil, err
	}
	upright, _ := orient(nil, img, info.turn)
	return upright, nil
}

// chromaSubsampling returns the factors by which a chroma format's planes are smaller than
// luma: none for 4:0:0 (a zero point).
func chromaSubsampling(chroma int) (image.Point, bool) {
	switch chroma {
	case 0:
		return image.Point{}, true
	case 1:
		return image.Pt(2, 2), true
	case 2:
		return image.Pt(2, 1), true
	case 3:
		return image.Pt(1, 1), true
	}
	return image.Point{}, false
}

// decodeOneHEVC decodes a picture that is the whole image, or a grid of one tile, cropped to
// size (heif-enc codes a picture of odd height so), and shrinks it to w×h.
func decodeOneHEVC(t hevcTile, size, sub image.Point, w, h int) (*image.RGBA, error) {
	d, err := decodeHEVC(t)
	if err != nil {
		return nil, err
	}
	defer d.free()
	p := d.planes
	p.size = size
	if p.cb != nil {
		p.cSize = image.Pt(ceilDiv(size.X, sub.X), ceilDiv(size.Y, sub.Y))
	}
	return shrinkYCbCr(p, w, h, d.colour), nil
}

// decodeHEVCGrid decodes the tiles of a grid one after another into planes of the whole
// picture, each cropped where it reaches past the grid's right or bottom edge, and shrinks
// them to w×h. The planes are the decoder's size: Y and chroma, 1.5 bytes a pixel for 4:2:0,
// where libheif holds three bytes a pixel of RGB.
func decodeHEVCGrid(plan hevcPlan, sub image.Point, w, h int) (*image.RGBA, error) {
	all := ycbcrPlanes{size: plan.size, yStride: plan.size.X}
	all.y = make([]byte, plan.size.X*plan.size.Y)
	if sub != (image.Point{}) {
		all.cSize = image.Pt(ceilDiv(plan.size.X, sub.X), ceilDiv(plan.size.Y, sub.Y))
		all.cStride = all.cSize.X
		all.cb = make([]byte, all.cSize.X*all.cSize.Y)
		all.cr = make([]byte, all.cSize.X*all.cSize.Y)
	}
	var colour ycbcrColour
	for i, t := range plan.tiles {
		if sub != (image.Point{}) && (t.at.X%sub.X != 0 || t.at.Y%sub.Y != 0) {
			return nil, notDirect("a tile at %v in 4:2:x", t.at)
		}
		d, err := decodeHEVC(t)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			colour = d.colour
		}
		same := d.colour == colour && (d.planes.cb == nil) == (all.cb == nil)
		if same {
			pastePlane(all.y, all.yStride, plan.size, d.planes.y, d.planes.yStride, d.planes.size, t.at)
			if all.cb != nil {
				at := image.Pt(t.at.X/sub.X, t.at.Y/sub.Y)
				pastePlane(all.cb, all.cStride, all.cSize, d.planes.cb, d.planes.cStride, d.planes.cSize, at)
				pastePlane(all.cr, all.cStride, all.cSize, d.planes.cr, d.planes.cStride, d.planes.cSize, at)
			}
		}
		d.free()
		if !same {
			return nil, notDirect("tiles of different colour or chroma")
		}
	}
	return shrinkYCbCr(all, w, h, colour), nil
}

// pastePlane copies src, of size, into dst, of dsize, with its top-left corner at at, as much
// of it as fits.
func pastePlane(dst []byte, dstStride int, dsize image.Point, src []byte, srcStride int, size, at image.Point) {
	n := min(size.X, dsize.X-at.X)
	for y := range min(size.Y, dsize.Y-at.Y) {
		copy(dst[(at.Y+y)*dstStride+at.X:][:n], src[y*srcStride:][:n])
	}
}

// hevcPicture is a picture libde265 decoded: its planes are the decoder's memory, valid until
// free.
type hevcPicture struct {
	ctx    unsafe.Pointer // de265_decoder_context, a void type
	planes ycbcrPlanes
	colour ycbcrColour
}

func (d *hevcPicture) free() { C.de265_free_decoder(d.ctx) }

// decodeHEVC decodes one coded picture with a decoder of its own: the parameter sets of its
// hvcC, then its NAL units. The picture must be 8 bits a sample in every plane, of the chroma
// format hvcC says, and the size of the item's ispe; its colour conversion is the item's nclx,
// else the one the stream's VUI gives, as in libheif (heif_decoder_libde265.cc).
func decodeHEVC(t hevcTile) (*hevcPicture, error) {
	nals, err := splitNALs(t.data, t.config.lengthSize)
	if err != nil {
		return nil, notDirect("%v", err)
	}
	nals = append(t.config.nals[:len(t.config.nals):len(t.config.nals)], nals...)
	d := &hevcPicture{ctx: C.de265_new_decoder()}
	if d.ctx == nil {
		return nil, notDirect("libde265 made no decoder")
	}
	C.pp_set_allocation(d.ctx)
	// Without SAO, libde265 decodes into pp_get_buffer's zeroed planes; with it, and no worker
	// threads, into memory it does not clear, where a slice it did not decode would show what
	// the memory held before (another photo). Both filters shift pixels by a few levels at
	// block edges, which the shrink averages away: measured 0.57 levels per channel from
	// libheif's picture of a 12 MP photo (0.50 with them), for 41 % fewer instructions
	// (docs/performance.md, "HEIC through libde265 directly").
	C.de265_set_parameter_bool(d.ctx, C.DE265_DECODER_PARAM_DISABLE_SAO, 1)
	C.de265_set_parameter_bool(d.ctx, C.DE265_DECODER_PARAM_DISABLE_DEBLOCKING, 1)
	ok := false
	defer func() {
		if !ok {
			d.free()
		}
	}()
	for _, nal := range nals {
		if e := C.de265_push_NAL(d.ctx, unsafe.Pointer(&nal[0]), C.int(len(nal)), 0, nil); e != C.DE265_OK {
			return nil, de265Error(C.int(e))
		}
	}
	var img *C.struct_de265_image
	if e := C.pp_decode(d.ctx, C.int(64*(len(nals)+4)), &img); e != C.DE265_OK {
		return nil, de265Error(e)
	}
	chroma := int(C.de265_get_chroma_format(img))
	if chroma != t.config.chroma {
		return nil, notDirect("chroma format %d, hvcC says %d", chroma, t.config.chroma)
	}
	planes := 3
	if chroma == 0 {
		planes = 1
	}
	p := &d.planes
	for c := range planes {
		size := image.Pt(int(C.de265_get_image_width(img, C.int(c))), int(C.de265_get_image_height(img, C.int(c))))
		if bits := int(C.de265_get_bits_per_pixel(img, C.int(c))); bits != 8 {
			return nil, notDirect("%d bits in plane %d", bits, c)
		}
		var stride C.int
		plane := C.de265_get_image_plane(img, C.int(c), &stride)
		if plane == nil || size.X <= 0 || size.Y <= 0 || int(stride) < size.X {
			return nil, notDirect("libde265 gave no plane %d", c)
		}
		pix := unsafe.Slice((*byte)(unsafe.Pointer(plane)), int(stride)*(size.Y-1)+size.X)
		switch c {
		case 0:
			p.y, p.yStride, p.size = pix, int(stride), size
		case 1:
			p.cb, p.cStride, p.cSize = pix, int(stride), size
		case 2:
			if size != p.cSize || int(stride) != p.cStride {
				return nil, notDirect("Cb and Cr planes of different sizes")
			}
			p.cr = pix
		}
	}
	if p.size != t.size {
		return nil, notDirect("a picture of %v in an item of %v", p.size, t.size)
	}
	if undecodedBlock(*p) {
		return nil, notDirect("libde265 left part of the picture undecoded")
	}
	if sub, _ := chromaSubsampling(chroma); chroma != 0 && p.cSize != image.Pt(ceilDiv(p.size.X, sub.X), ceilDiv(p.size.Y, sub.Y)) {
		return nil, notDirect("chroma planes of %v for %v", p.cSize, p.size)
	}
	nclx := t.nclx
	if nclx == nil {
		nclx = &nclxColour{int(C.de265_get_image_matrix_coefficients(img)), C.de265_get_image_full_range_flag(img) != 0}
	}
	colour, known := ycbcrColourOf(nclx.matrix, nclx.fullRange)
	if !known {
		return nil, notDirect("matrix coefficients %d", nclx.matrix)
	}
	d.colour, ok = colour, true
	return d, nil
}

// de265Error is an error or warning of libde265, for the direct path to give up on.
func de265Error(e C.int) error {
	switch e {
	case -1:
		return notDirect("libde265 made no picture, or more than one")
	case -2:
		return notDirect("libde265 did not end")
	}
	return notDirect("libde265: %s", C.GoString(C.de265_get_error_text(C.de265_error(e))))
}
