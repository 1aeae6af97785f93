package imaging

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// format is an image format we decode, named as in Thumbnail.Format.
type format string

const (
	formatJPEG format = "jpeg"
	formatPNG  format = "png"
	formatGIF  format = "gif"
	formatWebP format = "webp"
	formatBMP  format = "bmp"
	formatTIFF format = "tiff"
	formatHEIC format = "heic" // HEIF with HEVC, and HEIF naming no codec brand
	formatAVIF format = "avif" // HEIF with AV1
)

// label is the name people know the format by, for messages.
func (f format) label() string {
	switch f {
	case formatWebP:
		return "WebP"
	default:
		return strings.ToUpper(string(f))
	}
}

// sniff names the format of data from its magic number. Names and Content-Types are never
// trusted: servers get them wrong, and the decoder has to agree with the bytes anyway.
func sniff(data []byte) (format, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		// SOI alone: a truncated JPEG is still a JPEG, and should be reported as one.
		return formatJPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF, nil
	case isRIFF(data, "WEBP"):
		return formatWebP, nil
	case isBMP(data):
		return formatBMP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")),
		bytes.HasPrefix(data, []byte("II+\x00")), bytes.HasPrefix(data, []byte("MM\x00+")): // BigTIFF
		return formatTIFF, nil
	}
	if f, ok := heifFormat(data); ok {
		return f, nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnsupportedFormat, describe(data))
}

func isRIFF(data []byte, kind string) bool {
	return len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == kind
}

// isBMP also checks the DIB header size, because "BM" alone starts too many text files: one of
// the sizes Windows and OS/2 write (12, 16 to 64, 108, 124), or another below 1 KB after the
// four reserved bytes BMP writers leave zero.
func isBMP(data []byte) bool {
	if len(data) < 18 || string(data[:2]) != "BM" {
		return false
	}
	switch size := binary.LittleEndian.Uint32(data[14:18]); {
	case size == 12, size >= 16 && size <= 64, size == 108, size == 124:
		return true
	case size < 12 || size > 1024:
		return false
	}
	return binary.LittleEndian.Uint32(data[6:10]) == 0
}

// describe says what data looks like, for the message of a photo that is not an image we
// decode: the person reading it usually has an HTML error page or an unsupported format.
func describe(data []byte) string {
	if len(data) == 0 {
		return "empty file (0 bytes)"
	}
	if kind := knownKind(data); kind != "" {
		return kind + ", which is not supported"
	}
	if text, ok := textStart(data); ok {
		if isSVG(data) {
			return "an SVG image, which is not supported"
		}
		return fmt.Sprintf("not an image (starts with %q)", text)
	}
	head := data[:min(len(data), 8)]
	return fmt.Sprintf("not a recognised image (first bytes % x)", head)
}

// knownKind names well-known formats that we do not decode.
func knownKind(data []byte) string {
	has := func(prefix string) bool { return bytes.HasPrefix(data, []byte(prefix)) }
	switch {
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return isoMediaKind(string(data[8:12]))
	case has("\x00\x00\x00\x0cjP  \r\n\x87\n"), has("\xff\x4f\xff\x51"):
		return "a JPEG 2000 image"
	case has("\xff\x0a"), has("\x00\x00\x00\x0cJXL \r\n\x87\n"):
		return "a JPEG XL image"
	case has("8BPS"):
		return "a Photoshop document"
	case has("\x00\x00\x01\x00"):
		return "a Windows icon"
	case has("%PDF-"):
		return "a PDF document"
	case has("PK\x03\x04"):
		return "a ZIP archive"
	case has("\x1f\x8b"):
		return "gzip-compressed data"
	case len(data) >= 12 && has("RIFF"):
		return fmt.Sprintf("a RIFF %q file, not WebP", data[8:12])
	}
	return ""
}

func isoMediaKind(brand string) string {
	switch brand {
	case "crx ":
		return "a Canon CR3 raw photo"
	}
	return fmt.Sprintf("an ISO media file (brand %q), such as a video", brand)
}

func isSVG(data []byte) bool {
	head := bytes.ToLower(data[:min(len(data), 1024)])
	return bytes.Contains(head, []byte("<svg"))
}

// textStart returns the first line of data (at most 32 characters) if data starts as text.
func textStart(data []byte) (string, bool) {
	head := bytes.TrimPrefix(data[:min(len(data), 64)], []byte("\xef\xbb\xbf"))
	// The 64-byte window may cut the last character in two.
	for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	if !utf8.Valid(head) {
		return "", false
	}
	for _, r := range string(head) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return "", false
		}
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(head)), "\n")
	line = strings.TrimSpace(line)
	if runes := []rune(line); len(runes) > 32 {
		line = string(runes[:32])
	}
	return line, true
}
