//go:build cgo && !purego && !noavif

package imaging

/*
#cgo LDFLAGS: -lavif
#include <stdlib.h>
#include <string.h>
#include <avif/avif.h>

// avifEncode encodes the opaque RGBA picture rgba as an 8-bit AVIF at quantizer q (0 best ..
// 63 worst) with the AV1 encoder codec at speed, on one thread, into out. It returns
// AVIF_RESULT_OK or why not, with libavif's diagnostic in msg.
static avifResult avifEncode(uint8_t *rgba, int w, int h, int stride, int q, int yuv,
                             avifCodecChoice codec, int speed, avifRWData *out, char *msg, size_t msglen) {
	avifImage *img = avifImageCreate(w, h, 8, yuv);
	if (img == NULL)
		return AVIF_RESULT_OUT_OF_MEMORY;
	// sRGB, BT.601 matrix, full range: what browsers assume of an untagged JPEG.
	img->colorPrimaries = AVIF_COLOR_PRIMARIES_BT709;
	img->transferCharacteristics = AVIF_TRANSFER_CHARACTERISTICS_SRGB;
	img->matrixCoefficients = AVIF_MATRIX_COEFFICIENTS_BT601;
	img->yuvRange = AVIF_RANGE_FULL;
	avifRGBImage rgb;
	avifRGBImageSetDefaults(&rgb, img);
	rgb.format = AVIF_RGB_FORMAT_RGBA;
	rgb.ignoreAlpha = AVIF_TRUE;
	rgb.pixels = rgba;
	rgb.rowBytes = stride;
	avifResult r = avifImageRGBToYUV(img, &rgb);
	if (r != AVIF_RESULT_OK) {
		avifImageDestroy(img);
		return r;
	}
	avifEncoder *enc = avifEncoderCreate();
	if (enc == NULL) {
		avifImageDestroy(img);
		return AVIF_RESULT_OUT_OF_MEMORY;
	}
	enc->codecChoice = codec;
	enc->maxThreads = 1;
	enc->speed = speed;
	enc->minQuantizer = q;
	enc->maxQuantizer = q;
	r = avifEncoderWrite(enc, img, out);
	if (r != AVIF_RESULT_OK)
		strncpy(msg, enc->diag.error, msglen - 1);
	avifEncoderDestroy(enc);
	avifImageDestroy(img);
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// The AV1 encoder and its speed (0 slowest .. 10 fastest), chosen by measurement
// (docs/thumbnail-formats.md, "AVIF").
const (
	avifCodec = C.AVIF_CODEC_CHOICE_AOM
	avifSpeed = 9
	avifYUV   = C.AVIF_PIXEL_FORMAT_YUV420
)

// avifEncoder encodes AVIF thumbnails with libavif. It keeps nothing between thumbnails:
// libavif 0.11 makes an encoder for one image, and the AV1 encoder's own set-up is most of
// what that costs.
type avifEncoder struct{}

// encode encodes the opaque img as an AVIF at quality (1..100) and returns a copy the caller
// owns.
func (*avifEncoder) encode(img *image.RGBA, quality int) ([]byte, error) {
	return avifEncodeWith(img, avifQuantizer(quality), avifYUV, avifCodec, avifSpeed)
}

func avifEncodeWith(img *image.RGBA, q int, yuv C.avifPixelFormat, codec C.avifCodecChoice, speed int) ([]byte, error) {
	size := img.Rect.Size()
	var out C.avifRWData
	var msg [256]C.char // AVIF_DIAGNOSTICS_ERROR_BUFFER_SIZE
	if r := C.avifEncode((*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.int(size.X), C.int(size.Y), C.int(img.Stride),
		C.int(q), C.int(yuv), codec, C.int(speed), &out, &msg[0], C.size_t(len(msg))); r != C.AVIF_RESULT_OK {
		return nil, fmt.Errorf("encode AVIF: libavif: %s: %s", C.GoString(C.avifResultToString(r)), C.GoString(&msg[0]))
	}
	defer C.avifRWDataFree(&out)
	if out.size == 0 {
		return nil, errors.New("encode AVIF: libavif wrote nothing")
	}
	return C.GoBytes(unsafe.Pointer(out.data), C.int(out.size)), nil
}

func (*avifEncoder) close() {}

// avifSupport says what encodes AVIF thumbnails, for EncoderSupport, or why nothing can.
func avifSupport() (string, error) {
	name := C.avifCodecName(avifCodec, C.AVIF_CODEC_FLAG_CAN_ENCODE)
	if name == nil {
		return "", fmt.Errorf("avif: this build's libavif %s has no AV1 encoder; use jpeg or webp", C.GoString(C.avifVersion()))
	}
	return fmt.Sprintf("libavif %s (%s speed %d)", C.GoString(C.avifVersion()), C.GoString(name), avifSpeed), nil
}
