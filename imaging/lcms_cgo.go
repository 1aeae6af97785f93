//go:build cgo && !purego && !nolcms

package imaging

/*
#cgo LDFLAGS: -llcms2
#include <stdlib.h>
#include <string.h>
#include <lcms2.h>
#include <lcms2_plugin.h>

// A Little CMS context of our own per transform, whose allocator counts what it holds and
// refuses to go past a limit: a profile of a few kilobytes can declare tables that lcms would
// allocate before finding the data missing (up to its own limit of 512 MB), and the transforms
// built from legitimate press profiles take a few megabytes. With the limit, any profile costs
// at most that much; past it, lcms fails cleanly and the profile is ignored.
typedef struct {
	size_t used, peak, limit;
	char error[160];
} lcmsState;

// Each block carries its size in a header of 16 bytes, which keeps malloc's alignment.
#define HDR 16

static void *capMalloc(cmsContext id, cmsUInt32Number size) {
	lcmsState *s = cmsGetContextUserData(id);
	size_t used = __atomic_load_n(&s->used, __ATOMIC_RELAXED);
	if (size > s->limit || used + size > s->limit)
		return NULL;
	char *p = malloc((size_t)size + HDR);
	if (p == NULL)
		return NULL;
	*(size_t *)p = size;
	used = __atomic_add_fetch(&s->used, size, __ATOMIC_RELAXED);
	if (used > s->peak)
		s->peak = used; // only building a transform allocates: one goroutine
	return p + HDR;
}

static void capFree(cmsContext id, void *ptr) {
	if (ptr == NULL)
		return;
	lcmsState *s = cmsGetContextUserData(id);
	char *p = (char *)ptr - HDR;
	__atomic_sub_fetch(&s->used, *(size_t *)p, __ATOMIC_RELAXED);
	free(p);
}

static void *capRealloc(cmsContext id, void *ptr, cmsUInt32Number size) {
	if (ptr == NULL)
		return capMalloc(id, size);
	size_t old = *(size_t *)((char *)ptr - HDR);
	void *n = capMalloc(id, size);
	if (n == NULL)
		return NULL;
	memcpy(n, ptr, old < size ? old : size);
	capFree(id, ptr);
	return n;
}

static cmsPluginMemHandler capHandler = {
	{cmsPluginMagicNumber, 2000, cmsPluginMemHandlerSig, NULL},
	capMalloc, capFree, capRealloc, NULL, NULL, NULL,
};

// keepError keeps lcms's last message for the reason a profile is ignored; lcms prints nothing.
static void keepError(cmsContext id, cmsUInt32Number code, const char *text) {
	lcmsState *s = cmsGetContextUserData(id);
	strncpy(s->error, text, sizeof s->error - 1);
	s->error[sizeof s->error - 1] = 0;
}

static cmsContext newContext(lcmsState *s) {
	cmsContext ctx = cmsCreateContext(&capHandler, s);
	if (ctx != NULL)
		cmsSetLogErrorHandlerTHR(ctx, keepError);
	return ctx;
}

// toSRGB builds the transform from a profile in memory to sRGB with the rendering intent and
// flags of the caller, in format inFormat, out as 8-bit RGBA. The profile's colour space must
// be space, or no transform is made.
static cmsHTRANSFORM toSRGB(cmsContext ctx, const void *icc, cmsUInt32Number n, cmsUInt32Number space,
                            cmsUInt32Number inFormat, cmsUInt32Number intent, cmsUInt32Number flags) {
	cmsHPROFILE in = cmsOpenProfileFromMemTHR(ctx, icc, n);
	if (in == NULL)
		return NULL;
	cmsHTRANSFORM t = NULL;
	cmsHPROFILE out = cmsCreate_sRGBProfileTHR(ctx);
	if (out != NULL && cmsGetColorSpace(in) == space)
		t = cmsCreateTransformTHR(ctx, in, inFormat, out, TYPE_RGBA_8, intent, flags);
	if (out != NULL)
		cmsCloseProfile(out);
	cmsCloseProfile(in);
	return t;
}

// convert transforms n pixels of 4 bytes in place, then makes them opaque when the input had
// no alpha of its own (CMYK, whose fourth byte was K).
static void convert(cmsHTRANSFORM t, unsigned char *pix, cmsUInt32Number n, int opaque) {
	cmsDoTransform(t, pix, pix, n);
	if (opaque)
		for (cmsUInt32Number i = 0; i < n; i++)
			pix[4 * i + 3] = 255;
}
// The pixel layouts, as constants cgo can read.
#define GREY_IN_RGBA (COLORSPACE_SH(PT_GRAY) | CHANNELS_SH(1) | BYTES_SH(1) | EXTRA_SH(3))
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// ColourEngine names what converts colour profiles to sRGB, for `photoproc version`: Little
// CMS and its version with cgo; the pure-Go matrix/TRC converter without (CGO_ENABLED=0, or the
// purego or nolcms tag).
func ColourEngine() string {
	v := int(C.cmsGetEncodedCMMversion())
	return fmt.Sprintf("Little CMS %d.%d (every ICC profile)", v/1000, v%1000/10)
}

// lcmsMemoryLimit is the most memory Little CMS may take to open one profile and build its
// transform, and keep for the transform: 13 times what a press CMYK profile of 187 KB was
// measured to take while built (docs/colour.md). The budget charges it to a photo whose
// transform must be built.
const lcmsMemoryLimit = 16 << 20

// lcmsTransform is a Little CMS transform to 8-bit sRGB RGBA, in a context of its own. One
// transform may be used by any number of goroutines at once: it is built with
// cmsFLAGS_NOCACHE, so converting pixels changes nothing in it.
type lcmsTransform struct {
	ctx   C.cmsContext
	state *C.lcmsState
	t     C.cmsHTRANSFORM
	// opaque: the input has no alpha byte (CMYK), so the output's is set to 255.
	opaque bool
}

// Pixel layouts the transforms read, all 4 bytes a pixel as the decoders give them.
const (
	// lcmsRGBA is RGBA whose alpha is left as it is: thumbnails are converted once opaque.
	lcmsRGBA = C.TYPE_RGBA_8
	// lcmsGreyInRGBA reads the grey value of an RGBA pixel whose three channels are equal.
	lcmsGreyInRGBA = C.GREY_IN_RGBA
	// lcmsAdobeCMYK is CMYK as libjpeg gives Adobe's JPEGs: inks inverted, 255 is no ink.
	lcmsAdobeCMYK = C.TYPE_CMYK_8_REV
)

// Rendering: relative colorimetric with black point compensation (docs/colour.md says why).
const (
	lcmsIntent = C.INTENT_RELATIVE_COLORIMETRIC
	lcmsFlags  = C.cmsFLAGS_BLACKPOINTCOMPENSATION | C.cmsFLAGS_NOCACHE
)

// newLCMSTransform builds the transform from an ICC profile of colour space space ("RGB ",
// "GRAY" or "CMYK") to sRGB, reading pixels laid out as format. It returns an error saying why
// Little CMS refused the profile.
func newLCMSTransform(icc []byte, space string, format uint32) (*lcmsTransform, error) {
	if len(icc) == 0 || len(icc) > maxProfileBytes {
		return nil, fmt.Errorf("a profile of %d bytes", len(icc))
	}
	state := (*C.lcmsState)(C.calloc(1, C.size_t(unsafe.Sizeof(C.lcmsState{}))))
	state.limit = lcmsMemoryLimit
	ctx := C.newContext(state)
	if ctx == nil {
		C.free(unsafe.Pointer(state))
		return nil, fmt.Errorf("Little CMS could not make a context")
	}
	sig := C.cmsUInt32Number(uint32(space[0])<<24 | uint32(space[1])<<16 | uint32(space[2])<<8 | uint32(space[3]))
	cicc := C.CBytes(icc)
	t := C.toSRGB(ctx, cicc, C.cmsUInt32Number(len(icc)), sig, C.cmsUInt32Number(format), lcmsIntent, lcmsFlags)
	C.free(cicc)
	l := &lcmsTransform{ctx: ctx, state: state, t: t, opaque: format == lcmsAdobeCMYK}
	if t == nil {
		why := strings.TrimSpace(C.GoString(&state.error[0]))
		if why == "" {
			why = "it made no transform of it"
		}
		l.close()
		return nil, fmt.Errorf("Little CMS refused it: %s", why)
	}
	return l, nil
}

// convert converts pix, 4 bytes a pixel, in place.
func (l *lcmsTransform) convert(pix []byte) {
	if n := len(pix) / 4; n > 0 {
		opaque := C.int(0)
		if l.opaque {
			opaque = 1
		}
		C.convert(l.t, (*C.uchar)(unsafe.Pointer(&pix[0])), C.cmsUInt32Number(n), opaque)
	}
}

// bytes is the memory the transform holds; peak the most it held while it was built.
func (l *lcmsTransform) bytes() int64 { return int64(l.state.used) }
func (l *lcmsTransform) peak() int64  { return int64(l.state.peak) }

// close frees the transform, its context and what they hold.
func (l *lcmsTransform) close() {
	if l.t != nil {
		C.cmsDeleteTransform(l.t)
	}
	C.cmsDeleteContext(l.ctx)
	C.free(unsafe.Pointer(l.state))
	*l = lcmsTransform{}
}

// lcmsBuilt says Little CMS converts profiles in this build.
const lcmsBuilt = true

// colourBuildCost is what the memory budget charges a photo whose transform must be built.
const colourBuildCost = lcmsMemoryLimit

// newConverter makes the converter of a profile with Little CMS, for pixels of that kind, and
// says how much memory it holds: for CMYK and other profiles of tables (matrix/TRC profiles
// are converted in Go, colour.go).
func newConverter(p *iccProfile, icc []byte, pixels pixelKind) (pixelConverter, int64, error) {
	format := uint32(lcmsRGBA)
	switch pixels {
	case greyPixels:
		format = lcmsGreyInRGBA
	case cmykPixels:
		format = lcmsAdobeCMYK
	}
	t, err := newLCMSTransform(icc, p.space, format)
	if err != nil {
		return nil, 0, err
	}
	return t, t.bytes(), nil
}
