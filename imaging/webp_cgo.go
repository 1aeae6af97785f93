//go:build cgo && !purego && !nowebp

package imaging

/*
#cgo LDFLAGS: -lwebp
#include <stdlib.h>
#include <webp/encode.h>

// webpState is one worker's libwebp encoder: its settings, its picture (whose YUV planes
// libwebp reallocates for each size) and its output buffer, grown once and reused.
typedef struct {
	WebPConfig config;
	WebPPicture pic;
	WebPMemoryWriter out;
} webpState;

static webpState *webpNew(void) {
	webpState *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (!WebPConfigInit(&s->config) || !WebPPictureInit(&s->pic)) {
		free(s);
		return NULL;
	}
	WebPMemoryWriterInit(&s->out);
	return s;
}

static void webpFree(webpState *s) {
	WebPPictureFree(&s->pic);
	WebPMemoryWriterClear(&s->out);
	free(s);
}

// webpEncode encodes the opaque RGBA picture rgba, leaving the file in s->out. It returns 0,
// or libwebp's error code.
static int webpEncode(webpState *s, const uint8_t *rgba, int w, int h, int stride, float quality, int method) {
	s->config.quality = quality;
	s->config.method = method;
	s->out.size = 0;
	s->pic.width = w;
	s->pic.height = h;
	s->pic.writer = WebPMemoryWrite;
	s->pic.custom_ptr = &s->out;
	// RGBX: the picture is opaque, and an alpha plane would only cost bytes.
	if (!WebPPictureImportRGBX(&s->pic, rgba, stride))
		return s->pic.error_code ? s->pic.error_code : VP8_ENC_ERROR_OUT_OF_MEMORY;
	int ok = WebPEncode(&s->config, &s->pic);
	WebPPictureFree(&s->pic);
	return ok ? 0 : s->pic.error_code;
}
*/
import "C"

import (
	"fmt"
	"image"
	"unsafe"
)

// webpMethod is libwebp's effort, 0 (fastest) to 6: 4 is its default, cwebp's and Pillow's.
const webpMethod = 4

// webpEncoder is one worker's libwebp state, made on first use and kept for the next
// thumbnails. Not safe for concurrent use.
type webpEncoder struct{ s *C.webpState }

// encode encodes the opaque img as a lossy WebP at quality (1..100) and returns a copy the
// caller owns.
func (e *webpEncoder) encode(img *image.RGBA, quality int) ([]byte, error) {
	if e.s == nil {
		if e.s = C.webpNew(); e.s == nil {
			return nil, fmt.Errorf("encode WebP: libwebp %s: cannot make an encoder", webpVersion())
		}
	}
	size := img.Rect.Size()
	if rc := C.webpEncode(e.s, (*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.int(size.X), C.int(size.Y), C.int(img.Stride),
		C.float(quality), webpMethod); rc != 0 {
		return nil, fmt.Errorf("encode WebP: libwebp error %d", int(rc))
	}
	return C.GoBytes(unsafe.Pointer(e.s.out.mem), C.int(e.s.out.size)), nil
}

// close frees the encoder.
func (e *webpEncoder) close() {
	if e.s != nil {
		C.webpFree(e.s)
		e.s = nil
	}
}

// webpVersion is libwebp's version, as 1.2.4.
func webpVersion() string {
	v := int(C.WebPGetEncoderVersion())
	return fmt.Sprintf("%d.%d.%d", v>>16, v>>8&0xff, v&0xff)
}

// webpSupport says what encodes WebP thumbnails, for EncoderSupport.
func webpSupport() (string, error) { return "libwebp " + webpVersion(), nil }
