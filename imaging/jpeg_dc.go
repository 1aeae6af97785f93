//go:build cgo && !purego

package imaging

/*
#cgo LDFLAGS: -ljpeg
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <jpeglib.h>
#include <jerror.h>

// dcError is libjpeg's error manager with the way out of a failed decode and the text of the
// first warning or of the error, as TurboJPEG keeps them.
typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf escape;
	char msg[JMSG_LENGTH_MAX];
	int warned;
} dcError;

static void dcErrorExit(j_common_ptr cinfo) {
	dcError *e = (dcError *)cinfo->err;
	(*cinfo->err->format_message)(cinfo, e->msg);
	longjmp(e->escape, 1);
}

// dcEmit keeps the first warning (level -1) and ignores trace messages (level ≥ 0).
static void dcEmit(j_common_ptr cinfo, int level) {
	dcError *e = (dcError *)cinfo->err;
	if (level >= 0)
		return;
	if (!e->warned)
		(*cinfo->err->format_message)(cinfo, e->msg);
	e->warned = 1;
	cinfo->err->num_warnings++;
}

// The coefficient arrays of a progressive JPEG (64 × 2 bytes a block, for the whole picture:
// 36 MB at 12 MP) are what a decode at 1/8 spends most of its time on when libjpeg allocates
// them: malloc maps them afresh for every photo, and zeroing them faults in a page at a time,
// 9,000 faults at 12 MP, which cost more than decoding the DC scans. These replacements of
// libjpeg's virtual-array methods (public members of its memory manager) put every array in
// one anonymous mapping, in transparent huge pages where the system allows them (2 MB at a
// fault), already zero as pre_zero asks, unmapped when the decode ends.

// dcArray is one virtual block array, wholly in memory.
typedef struct dcArray {
	JBLOCKARRAY rows;
	JDIMENSION blocksperrow, numrows, maxaccess;
	struct dcArray *next;
} dcArray;

typedef struct {
	dcArray *arrays;
	void *map;        // the mapping, or NULL
	size_t mapLen;
	void (*realizeOthers)(j_common_ptr cinfo); // libjpeg's own, for sample arrays
} dcArrays;

static jvirt_barray_ptr dcRequest(j_common_ptr cinfo, int pool_id, boolean pre_zero,
                                  JDIMENSION blocksperrow, JDIMENSION numrows, JDIMENSION maxaccess) {
	dcArrays *all = (dcArrays *)cinfo->client_data;
	dcArray *a;
	if (pool_id != JPOOL_IMAGE)
		ERREXIT1(cinfo, JERR_BAD_POOL_ID, pool_id);
	a = (dcArray *)(*cinfo->mem->alloc_small)(cinfo, JPOOL_IMAGE, sizeof(dcArray));
	a->rows = NULL;
	a->blocksperrow = blocksperrow;
	a->numrows = numrows;
	a->maxaccess = maxaccess;
	a->next = all->arrays;
	all->arrays = a;
	return (jvirt_barray_ptr)a;
}

static void dcRealize(j_common_ptr cinfo) {
	dcArrays *all = (dcArrays *)cinfo->client_data;
	const size_t huge = 2 << 20;
	size_t total = 0;
	dcArray *a;
	unsigned char *p;
	all->realizeOthers(cinfo); // sample arrays, if any
	for (a = all->arrays; a; a = a->next) {
		if (a->blocksperrow > SIZE_MAX / sizeof(JBLOCK) / a->numrows)
			ERREXIT(cinfo, JERR_WIDTH_OVERFLOW);
		total += (size_t)a->blocksperrow * sizeof(JBLOCK) * a->numrows;
	}
	if (total == 0)
		return;
	all->mapLen = total + huge;
	p = mmap(NULL, all->mapLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		all->map = NULL;
		ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 10);
	}
	all->map = p;
	p = (unsigned char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(p, total, MADV_HUGEPAGE); // a hint: without it, 4 KB pages
	for (a = all->arrays; a; a = a->next) {
		JDIMENSION r;
		a->rows = (JBLOCKARRAY)(*cinfo->mem->alloc_large)(cinfo, JPOOL_IMAGE, a->numrows * sizeof(JBLOCKROW));
		for (r = 0; r < a->numrows; r++) {
			a->rows[r] = (JBLOCKROW)p;
			p += (size_t)a->blocksperrow * sizeof(JBLOCK);
		}
	}
}

static JBLOCKARRAY dcAccess(j_common_ptr cinfo, jvirt_barray_ptr ptr, JDIMENSION start_row,
                            JDIMENSION num_rows, boolean writable) {
	dcArray *a = (dcArray *)ptr;
	if (a->rows == NULL || num_rows > a->maxaccess || start_row > a->numrows || num_rows > a->numrows - start_row)
		ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);
	return a->rows + start_row;
}

// dcDecode decodes buf, a progressive JPEG reduced to its DC scans, at 1/8 scale into dst (w×h
// pixels of RGBA, or CMYK when cmyk, pitch bytes a row) with block smoothing off. The frame
// must be stored_w×stored_h. It says 0 for success, 1 for a warning, 2 for a failure, with the
// message in msg.
static int dcDecode(const unsigned char *buf, unsigned long len, int stored_w, int stored_h,
                    unsigned char *dst, int w, int h, int pitch, int cmyk, char *msg, size_t msglen) {
	struct jpeg_decompress_struct cinfo;
	dcError err;
	dcArrays arrays = {NULL, NULL, 0, NULL};
	volatile int rc = 2;
	memset(&cinfo, 0, sizeof cinfo); // jpeg_destroy_decompress does nothing to it until created
	cinfo.err = jpeg_std_error(&err.pub);
	err.pub.error_exit = dcErrorExit;
	err.pub.emit_message = dcEmit;
	err.warned = 0;
	strcpy(err.msg, "not the expected JPEG");
	if (setjmp(err.escape))
		goto done;
	jpeg_create_decompress(&cinfo);
	cinfo.client_data = &arrays;
	arrays.realizeOthers = cinfo.mem->realize_virt_arrays;
	cinfo.mem->request_virt_barray = dcRequest;
	cinfo.mem->realize_virt_arrays = dcRealize;
	cinfo.mem->access_virt_barray = dcAccess;
	jpeg_mem_src(&cinfo, buf, len);
	jpeg_read_header(&cinfo, TRUE);
	if ((int)cinfo.image_width != stored_w || (int)cinfo.image_height != stored_h || !cinfo.progressive_mode)
		goto done;
	cinfo.scale_num = 1;
	cinfo.scale_denom = 8;
	cinfo.do_block_smoothing = FALSE;
	cinfo.dct_method = JDCT_ISLOW;
	cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
	jpeg_start_decompress(&cinfo);
	if ((int)cinfo.output_width != w || (int)cinfo.output_height != h || cinfo.output_components != 4)
		goto done;
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = dst + (size_t)cinfo.output_scanline * pitch;
		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	rc = err.warned ? 1 : 0;
done:
	jpeg_destroy_decompress(&cinfo);
	if (arrays.map)
		munmap(arrays.map, arrays.mapLen);
	strncpy(msg, err.msg, msglen - 1);
	msg[msglen - 1] = 0;
	return rc;
}
*/
import "C"

import (
	"fmt"
	"image"
	"unsafe"
)

// decodeDC decodes a progressive JPEG at 1/8 scale from the scans that scale reads
// (eighthScans: the DC scans, and for 4:2:0 chroma the first pass of its AC scans) into dst,
// which is the 1/8 size: through the libjpeg API of the same libjpeg-turbo, because TurboJPEG
// cannot turn block smoothing off, and smoothing (estimating the AC coefficients the scans left
// out would have given, which the 1/8 scale's 1×1 inverse DCT never reads) would cost more than
// the rest of the decode; and with the coefficient arrays in one mapping of huge pages (above).
// On the 12 MP photo saved progressive this takes a fifth of the whole file's instructions
// (docs/performance.md, "Progressive JPEGs"). It reports false, with the reason, when the file
// is not one for it or libjpeg warned or failed on it: the caller then decodes the whole file
// as before, which refuses a damaged one or says what it saw, so that damaged scans never make
// a thumbnail only this path accepted.
func (c *codec) decodeDC(data []byte, stored image.Point, dst *image.RGBA, cmyk bool) (bool, string) {
	dc, ok := eighthScans(c.dc, data)
	c.dc = dc
	if !ok {
		return false, "not a progressive JPEG with DC scans"
	}
	var msg [200]C.char // JMSG_LENGTH_MAX
	size := dst.Rect.Size()
	rc := C.dcDecode((*C.uchar)(unsafe.Pointer(&dc[0])), C.ulong(len(dc)), C.int(stored.X), C.int(stored.Y),
		(*C.uchar)(unsafe.Pointer(&dst.Pix[0])), C.int(size.X), C.int(size.Y), C.int(dst.Stride), C.int(boolInt(cmyk)),
		&msg[0], C.size_t(len(msg)))
	if rc != 0 {
		return false, fmt.Sprintf("libjpeg: %s", C.GoString(&msg[0]))
	}
	return true, ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
