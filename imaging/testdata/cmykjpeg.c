/* cmykjpeg: read a binary PPM (P6, maxval 255) on stdin, write a 4-component JPEG on stdout in
 * the Adobe/Photoshop convention (inverted CMYK, 255 = no ink, Adobe APP14 marker).
 * Usage: cmykjpeg cmyk|ycck QUALITY < in.ppm > out.jpg
 * Build: cc -O2 -o cmykjpeg cmykjpeg.c -ljpeg   (Debian: libjpeg62-turbo-dev) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
	int w, h, maxval;
	if (argc != 3 || scanf("P6 %d %d %d", &w, &h, &maxval) != 3 || maxval != 255 || getchar() == EOF) {
		fprintf(stderr, "usage: cmykjpeg cmyk|ycck QUALITY < in.ppm > out.jpg\n");
		return 2;
	}
	unsigned char *rgb = malloc((size_t)w * h * 3), *row = malloc((size_t)w * 4);
	if (fread(rgb, 3, (size_t)w * h, stdin) != (size_t)w * h) {
		fprintf(stderr, "short PPM\n");
		return 1;
	}
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, stdout);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 4;
	c.in_color_space = JCS_CMYK;
	jpeg_set_defaults(&c);
	jpeg_set_colorspace(&c, strcmp(argv[1], "ycck") == 0 ? JCS_YCCK : JCS_CMYK);
	c.write_Adobe_marker = TRUE;
	jpeg_set_quality(&c, atoi(argv[2]), TRUE);
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			const unsigned char *p = rgb + ((size_t)y * w + x) * 3;
			int r = p[0], g = p[1], b = p[2];
			int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
			int k = 255 - mx, cc = 0, m = 0, yy = 0;
			if (mx > 0) {
				cc = (mx - r) * 255 / mx;
				m = (mx - g) * 255 / mx;
				yy = (mx - b) * 255 / mx;
			}
			/* Adobe stores ink inverted: 255 means none. */
			row[x * 4 + 0] = 255 - cc;
			row[x * 4 + 1] = 255 - m;
			row[x * 4 + 2] = 255 - yy;
			row[x * 4 + 3] = 255 - k;
		}
		JSAMPROW rp = row;
		jpeg_write_scanlines(&c, &rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return 0;
}
