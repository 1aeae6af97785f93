//go:build cgo && !purego

package imaging

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// header reads the size and colour space of a JPEG without decoding it.
static int header(tjhandle h, const unsigned char *buf, unsigned long len, int *w, int *h_, int *cs) {
	int subsamp;
	return tjDecompressHeader3(h, buf, len, w, h_, &subsamp, cs);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// JPEGCodec names the JPEG codec built in: "libjpeg-turbo" with cgo, "image/jpeg" without.
const JPEGCodec = "libjpeg-turbo"

// decodeJPEG decodes with libjpeg-turbo's TurboJPEG API, straight to RGBA, at the smallest of
// its DCT scales 1/8, 1/4, 1/2 whose result still covers atLeast: at 1/8 a 12 MP photo
// decodes in a fifth of the time (24 ms instead of 165 ms with image/jpeg), because the
// inverse DCT, upsampling and colour conversion run on 1/64 of the pixels; what is left is
// reading the entropy-coded data, which no decoder can skip. Decoding larger than needed (to
// leave the resize 2× or more, as Pillow's reducing_gap does) brings the thumbnail closer to a
// full Lanczos downscale by at most 0.2/255 in mean absolute error on our photos, and costs up to
// four times the resize work, so it is not done. The caller resizes whatever size comes back.
//
// libjpeg-turbo is only trusted with what it is good at. Its header must agree with Go's, which
// the pixel limit was checked against; progressive JPEGs with an absurd number of scans are
// refused (TJFLAG_LIMITSCANS). CMYK and YCCK, which TurboJPEG cannot turn into RGB, and any
// JPEG it warns about or fails on go to Go's decoder, so that both builds accept the same files
// and word their errors the same way. libjpeg-turbo cannot be stopped midway; image/jpeg stops
// once ctx is done.
func decodeJPEG(ctx context.Context, data []byte, stored, atLeast image.Point) (image.Image, error) {
	img, err := turboDecode(data, stored, atLeast)
	if err != nil {
		return decodeJPEGStd(ctx, data)
	}
	return img, nil
}

// turboDecode decodes data, whose header said it is stored, at the smallest scale that covers
// target.
func turboDecode(data []byte, stored, target image.Point) (*image.RGBA, error) {
	if len(data) == 0 {
		return nil, errors.New("libjpeg-turbo: no data")
	}
	h := C.tjInitDecompress()
	if h == nil {
		return nil, fmt.Errorf("libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(nil)))
	}
	defer C.tjDestroy(h)

	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	var w, hgt, cs C.int
	if C.header(h, src, C.ulong(len(data)), &w, &hgt, &cs) != 0 {
		return nil, fmt.Errorf("libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	if got := image.Pt(int(w), int(hgt)); got != stored {
		return nil, fmt.Errorf("libjpeg-turbo: size %v, Go's decoder read %v", got, stored)
	}
	if cs == C.TJCS_CMYK || cs == C.TJCS_YCCK {
		return nil, errors.New("libjpeg-turbo: CMYK")
	}
	sw, sh := scaledSize(int(w), int(hgt), target)
	dst := image.NewRGBA(image.Rect(0, 0, sw, sh))
	const flags = C.TJFLAG_ACCURATEDCT | C.TJFLAG_STOPONWARNING | C.TJFLAG_LIMITSCANS
	if C.tjDecompress2(h, src, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&dst.Pix[0])),
		C.int(sw), C.int(dst.Stride), C.int(sh), C.TJPF_RGBA, flags) != 0 {
		return nil, fmt.Errorf("libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	return dst, nil
}

// jpegDecodedSize is the size decodeJPEG will decode a JPEG of that size and number of
// components to, for the memory budget: CMYK and YCCK (4 components) go to image/jpeg whole.
func jpegDecodedSize(stored, atLeast image.Point, components int) image.Point {
	if components == 4 {
		return stored
	}
	return image.Pt(scaledSize(stored.X, stored.Y, atLeast))
}

// jpegDirectRGBA: libjpeg-turbo decodes straight into the RGBA picture, with no copy.
const jpegDirectRGBA = true

// scaledSize returns the size libjpeg-turbo decodes a w×h JPEG to at the smallest of the scales
// 1/8, 1/4 and 1/2 whose result covers target, or w×h. The other scales it offers (3/8, 5/8, …)
// use odd-sized inverse DCTs that blur more than they save: a 636×227 photo decoded at 5/8
// ends 2.3/255 further from the reference than one decoded whole (TestMakeMatchesReference).
func scaledSize(w, h int, target image.Point) (int, int) {
	for _, n := range []int{1, 2, 4} {
		// TJSCALED: ceil(dimension · n / 8).
		sw, sh := (w*n+7)/8, (h*n+7)/8
		if sw >= target.X && sh >= target.Y {
			return sw, sh
		}
	}
	return w, h
}

// encodeJPEG encodes img with libjpeg-turbo, four times faster than Go's encoder. At quality
// 90 and above it keeps colour at full resolution (4:4:4), as libvips does: there, 4:2:0
// subsampling is most of what a thumbnail loses against a full-size Lanczos downscale (on our
// 12 MP photo 4.4/255 in mean absolute error with 4:2:0, 3.3 with 4:4:4), for ~25 % fewer bytes.
func encodeJPEG(img *image.RGBA, quality int) ([]byte, error) {
	h := C.tjInitCompress()
	if h == nil {
		return nil, fmt.Errorf("encode JPEG: libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(nil)))
	}
	defer C.tjDestroy(h)
	subsamp := C.int(C.TJSAMP_420)
	if quality >= 90 {
		subsamp = C.TJSAMP_444
	}
	size := img.Rect.Size()
	var buf *C.uchar
	var n C.ulong
	if C.tjCompress2(h, (*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(size.X), C.int(img.Stride), C.int(size.Y),
		C.TJPF_RGBA, &buf, &n, subsamp, C.int(quality), C.TJFLAG_ACCURATEDCT) != 0 {
		return nil, fmt.Errorf("encode JPEG: libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	defer C.tjFree(buf)
	return C.GoBytes(unsafe.Pointer(buf), C.int(n)), nil
}
