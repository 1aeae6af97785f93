//go:build cgo && !purego

package imaging

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

// result copies TurboJPEG's message for a call that returned rc into msg, in the same cgo call
// as the one that failed (TurboJPEG keeps the message per thread, and the next cgo call may run
// on another), and says 0 for success, 1 for a warning, 2 for a failure.
static int result(tjhandle h, int rc, char *msg, size_t msglen) {
	if (rc == 0)
		return 0;
	strncpy(msg, tjGetErrorStr2(h), msglen - 1);
	msg[msglen - 1] = 0;
	return tjGetErrorCode(h) == TJERR_WARNING ? 1 : 2;
}

// header reads the size and colour space of a JPEG without decoding it. It also fails on
// sampling factors TurboJPEG has no name for, after reading them: the caller checks w, h and cs.
static int header(tjhandle h, const unsigned char *buf, unsigned long len, int *w, int *h_, int *cs,
                  char *msg, size_t msglen) {
	int subsamp;
	return result(h, tjDecompressHeader3(h, buf, len, w, h_, &subsamp, cs), msg, msglen);
}

static int decompress(tjhandle h, const unsigned char *buf, unsigned long len, unsigned char *dst,
                      int w, int pitch, int h_, int pf, int flags, char *msg, size_t msglen) {
	return result(h, tjDecompress2(h, buf, len, dst, w, pitch, h_, pf, flags), msg, msglen);
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

// codec is one worker's TurboJPEG state: a decompressor and a compressor handle, made on first
// use and kept for the next photos (making them costs more than a 2 MP photo's resize), the
// picture decoded last, and the compressor's output buffer. Not safe for concurrent use, as
// TurboJPEG handles are not.
type codec struct {
	dec, enc C.tjhandle
	pix      []uint8
	dc       []byte // a progressive JPEG's DC scans (jpeg_dc.go)
	fromDC   bool   // the last picture was decoded from DC scans alone
	out      *C.uchar
	outSize  C.ulong
	// cmyk converts the CMYK pixels of the photo being decoded with its profile; nil for
	// none, and then the naive conversion applies (cmyk.go).
	cmyk pixelConverter
}

// close frees the handles and the output buffer.
func (c *codec) close() {
	if c.dec != nil {
		C.tjDestroy(c.dec)
	}
	if c.enc != nil {
		C.tjDestroy(c.enc)
	}
	if c.out != nil {
		C.tjFree(c.out)
	}
	*c = codec{}
}

// decodeJPEG decodes with libjpeg-turbo's TurboJPEG API, straight to RGBA, at the DCT scale
// scaledSize chooses for atLeast: at 1/8 a 12 MP photo decodes in a fifth of the time (24 ms
// instead of 165 ms with image/jpeg), because the inverse DCT, upsampling and colour
// conversion run on 1/64 of the pixels; what is left is reading the entropy-coded data, which
// no decoder can skip. The caller resizes whatever size comes back. The picture is opaque and
// lives in c's buffer until the next decode.
//
// It is the only JPEG decoder of this build: what it fails on is refused, never handed to
// image/jpeg, which has no limits of its own and decodes at full size (a 48 MP progressive JPEG
// that libjpeg-turbo warned about took 575 MB and 1.6 s there, against a budget charge of
// 3 MB). Its header must agree with Go's, which the pixel limit was checked against; the
// structure limits (jpegscan.go) were checked before, and TJFLAG_LIMITSCANS stays on as a
// second guard. It cannot be stopped midway, so ctx is not used: those limits bound its work.
// CMYK and YCCK are decoded to CMYK and converted here, with the photo's profile if it has
// one. A warning is judged by turboWarning. A progressive JPEG decoded at 1/8 is decoded from its
// DC scans alone where they decode cleanly (decodeDC).
func (c *codec) decodeJPEG(_ context.Context, data []byte, stored, atLeast image.Point) (image.Image, error) {
	return c.decodeTurbo(data, stored, atLeast, true)
}

// decodeTurbo is decodeJPEG, trying the DC scans of a progressive JPEG first when dc is set.
func (c *codec) decodeTurbo(data []byte, stored, atLeast image.Point, dc bool) (*image.RGBA, error) {
	if len(data) == 0 {
		return nil, errors.New("libjpeg-turbo: no data")
	}
	if c.dec == nil {
		if c.dec = C.tjInitDecompress(); c.dec == nil {
			return nil, fmt.Errorf("libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(nil)))
		}
	}
	h := c.dec
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	var msg [200]C.char // JMSG_LENGTH_MAX
	var w, hgt, cs C.int = 0, 0, -1
	if C.header(h, src, C.ulong(len(data)), &w, &hgt, &cs, &msg[0], C.size_t(len(msg))) != 0 && (w == 0 || cs < 0) {
		return nil, fmt.Errorf("libjpeg-turbo: %s", C.GoString(&msg[0]))
	}
	if got := image.Pt(int(w), int(hgt)); got != stored || cs < 0 {
		return nil, fmt.Errorf("libjpeg-turbo: size %v, Go's decoder read %v", got, stored)
	}
	pf, cmyk := C.int(C.TJPF_RGBA), cs == C.TJCS_CMYK || cs == C.TJCS_YCCK
	if cmyk {
		pf = C.TJPF_CMYK
	}
	sw, sh := scaledSize(int(w), int(hgt), atLeast)
	c.pix = grow(c.pix, 4*sw*sh)
	dst := &image.RGBA{Pix: c.pix, Stride: 4 * sw, Rect: image.Rect(0, 0, sw, sh)}
	c.fromDC = false
	if dc && sw == (int(w)+7)/8 && sh == (int(hgt)+7)/8 {
		if c.fromDC, _ = c.decodeDC(data, stored, dst, cmyk); c.fromDC {
			return c.convertCMYK(dst, cmyk), nil
		}
	}
	const flags = C.TJFLAG_ACCURATEDCT | C.TJFLAG_LIMITSCANS
	switch C.decompress(h, src, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&dst.Pix[0])),
		C.int(sw), C.int(dst.Stride), C.int(sh), pf, flags, &msg[0], C.size_t(len(msg))) {
	case 1:
		if text := C.GoString(&msg[0]); !turboWarning(text) {
			return nil, fmt.Errorf("libjpeg-turbo: %s", text)
		}
	case 2:
		return nil, fmt.Errorf("libjpeg-turbo: %s", C.GoString(&msg[0]))
	}
	return c.convertCMYK(dst, cmyk), nil
}

// convertCMYK turns the picture decoded, when cmyk, from CMYK into RGBA, with the photo's
// profile if it has one.
func (c *codec) convertCMYK(dst *image.RGBA, cmyk bool) *image.RGBA {
	switch {
	case cmyk && c.cmyk != nil:
		c.cmyk.convert(dst.Pix)
	case cmyk:
		cmykToRGBA(dst.Pix)
	}
	return dst
}

// release drops the decoded picture when it is too large to keep between photos, and the
// photo's CMYK converter.
func (c *codec) release() {
	c.cmyk = nil
	if cap(c.pix) > maxKeptBuffer {
		c.pix = nil
	}
	if cap(c.dc) > maxKeptBuffer {
		c.dc = nil
	}
}

// jpegDecodedSize is the size decodeJPEG decodes a JPEG of that size to, for the memory budget.
func jpegDecodedSize(stored, atLeast image.Point) image.Point {
	return image.Pt(scaledSize(stored.X, stored.Y, atLeast))
}

// jpegDirectRGBA: libjpeg-turbo decodes straight into the RGBA picture, at a DCT scale, with no
// copy (cost.go charges it so).
const jpegDirectRGBA = true

// scaledSize returns the size libjpeg-turbo decodes a w×h JPEG to at the smallest of the scales
// 1/8, 1/4 and 1/2 whose result covers target, or w×h. The other scales it offers (3/8, 5/8, …)
// use odd-sized inverse DCTs that blur more than they save: a 636×227 photo decoded at 5/8
// ends 2.3/255 further from the reference than one decoded whole (TestMakeMatchesReference).
// Decoding one scale larger, to leave the resize more to do as Pillow does, brings the
// thumbnail 0.2–0.3/255 closer to a whole-photo Lanczos downscale for twice the resize work or
// more; Lanczos-3 after the smallest scale gets most of that for a few more taps (ARCHITECTURE.md,
// "Resizing"). For a 1280 box 3/8 saves 15 % of the instructions of 1280, 640 and 320 from the
// 12 MP photo, but its 1280 is 0.86/255 from the reference instead of 0.65
// (docs/thumbnail-formats.md, "Sizes from one decode").
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

// encodeJPEG encodes img with libjpeg-turbo, four times faster than Go's encoder, into c's
// output buffer (allocated once for the largest thumbnail, never reallocated by libjpeg-turbo),
// and returns a copy the caller owns. At quality 90 and above it keeps colour at full
// resolution (4:4:4), as libvips does: there, 4:2:0 subsampling is most of what a thumbnail
// loses against a full-size Lanczos downscale (on our 12 MP photo 4.4/255 in mean absolute
// error with 4:2:0, 3.3 with 4:4:4), for ~25 % fewer bytes.
func (c *codec) encodeJPEG(img *image.RGBA, quality int) ([]byte, error) {
	if c.enc == nil {
		if c.enc = C.tjInitCompress(); c.enc == nil {
			return nil, fmt.Errorf("encode JPEG: libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(nil)))
		}
	}
	subsamp := C.int(C.TJSAMP_420)
	if quality >= 90 {
		subsamp = C.TJSAMP_444
	}
	size := img.Rect.Size()
	if need := C.tjBufSize(C.int(size.X), C.int(size.Y), subsamp); need > c.outSize {
		if c.out != nil {
			C.tjFree(c.out)
		}
		if c.out = C.tjAlloc(C.int(need)); c.out == nil {
			c.outSize = 0
			return nil, errors.New("encode JPEG: libjpeg-turbo: out of memory")
		}
		c.outSize = need
	}
	buf, n := c.out, c.outSize
	if C.tjCompress2(c.enc, (*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(size.X), C.int(img.Stride), C.int(size.Y),
		C.TJPF_RGBA, &buf, &n, subsamp, C.int(quality), C.TJFLAG_ACCURATEDCT|C.TJFLAG_NOREALLOC) != 0 {
		return nil, fmt.Errorf("encode JPEG: libjpeg-turbo: %s", C.GoString(C.tjGetErrorStr2(c.enc)))
	}
	return C.GoBytes(unsafe.Pointer(buf), C.int(n)), nil
}
