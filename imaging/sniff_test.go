package imaging

import (
	"errors"
	"strings"
	"testing"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	bmpHeader := "BM" + strings.Repeat("\x00", 12) + "\x28\x00\x00\x00"
	tests := []struct {
		name string
		data string
		want format
		msg  string // for unsupported data: what the message must say
	}{
		{name: "jpeg", data: "\xff\xd8\xff\xe0rest", want: formatJPEG},
		{name: "jpeg cut after SOI", data: "\xff\xd8", want: formatJPEG},
		{name: "png", data: "\x89PNG\r\n\x1a\nrest", want: formatPNG},
		{name: "gif87a", data: "GIF87a...", want: formatGIF},
		{name: "gif89a", data: "GIF89a...", want: formatGIF},
		{name: "webp", data: "RIFF\x00\x00\x00\x00WEBPVP8 ", want: formatWebP},
		{name: "bmp", data: bmpHeader, want: formatBMP},
		{name: "tiff little-endian", data: "II*\x00\x08\x00\x00\x00", want: formatTIFF},
		{name: "tiff big-endian", data: "MM\x00*\x00\x00\x00\x08", want: formatTIFF},
		{name: "bigtiff", data: "II+\x00\x08\x00\x00\x00", want: formatTIFF},
		{name: "bmp, OS/2 1.x header", data: "BM" + strings.Repeat("\x00", 12) + "\x0c\x00\x00\x00", want: formatBMP},
		{name: "bmp, OS/2 2.x header of 20 bytes", data: "BM" + strings.Repeat("\x00", 12) + "\x14\x00\x00\x00", want: formatBMP},
		{name: "bmp, unknown header size", data: "BM" + strings.Repeat("\x00", 12) + "\xc8\x00\x00\x00", want: formatBMP},
		{name: "BM, unknown header size, reserved bytes set", data: "BM\x00\x00\x00\x00\x01" + strings.Repeat("\x00", 7) + "\xc8\x00\x00\x00",
			msg: "not a recognised image"},
		{name: "empty", data: "", msg: "empty file"},
		{name: "html", data: "<html><body>Not found</body></html>", msg: `not an image (starts with "<html><body>Not found</body></ht")`},
		{name: "html doctype", data: "\n  <!DOCTYPE html>\n<html>", msg: `not an image (starts with "<!DOCTYPE html>")`},
		{name: "json", data: `{"error":"forbidden"}`, msg: `not an image (starts with "{\"error\":\"forbidden\"}")`},
		{name: "utf-8 text cut mid-character", data: strings.Repeat("é", 40), msg: "not an image (starts with"},
		{name: "svg", data: `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`, msg: "an SVG image, which is not supported"},
		{name: "pdf", data: "%PDF-1.7\n%\xe2\xe3\xcf\xd3", msg: "a PDF document"},
		{name: "heic", data: "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", want: formatHEIC},
		{name: "avif", data: "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", want: formatAVIF},
		{name: "avif as a compatible brand", data: "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", want: formatAVIF},
		{name: "avif image sequence", data: "\x00\x00\x00\x18ftypavis\x00\x00\x00\x00avismsf1", want: formatAVIF},
		{name: "heif naming no codec", data: "\x00\x00\x00\x14ftypmif1\x00\x00\x00\x00mif1", want: formatHEIC},
		{name: "heic brand past the ftyp box is not read", data: "\x00\x00\x00\x10ftypisom\x00\x00\x00\x00heic", msg: `brand "isom"`},
		{name: "mp4", data: "\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", msg: `brand "isom"`},
		{name: "wav", data: "RIFF\x00\x00\x00\x00WAVEfmt ", msg: `a RIFF "WAVE" file, not WebP`},
		{name: "jpeg xl", data: "\xff\x0a\xfa\x7f", msg: "a JPEG XL image"},
		{name: "BM text is not a BMP", data: "BMW owners club newsletter", msg: `starts with "BMW owners`},
		{name: "binary", data: "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", msg: "first bytes 00 01 02 03 04 05 06 07)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := sniff([]byte(tc.data))
			if tc.msg == "" {
				if err != nil || got != tc.want {
					t.Fatalf("sniff = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("sniff = %q, %v; want ErrUnsupportedFormat", got, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not say %q", err, tc.msg)
			}
		})
	}
}
