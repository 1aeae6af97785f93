package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// We call each decoder directly for the sniffed format instead of image.Decode, so only these
// formats are ever decoded, whatever else some import registers.

// readHeader returns the stored size of the picture without decoding its pixels.
func readHeader(f format, data []byte) (image.Config, error) {
	if why := unsupportedFeature(f, data); why != "" {
		return image.Config{}, fmt.Errorf("%w: %s, which is not supported", ErrUnsupportedFormat, why)
	}
	if f == formatHEIC || f == formatAVIF {
		return heifHeader(f, data)
	}
	var configOf func(io.Reader) (image.Config, error)
	switch f {
	case formatJPEG:
		configOf = jpeg.DecodeConfig
	case formatPNG:
		configOf = png.DecodeConfig
	case formatGIF:
		configOf = gif.DecodeConfig
	case formatWebP:
		configOf = webp.DecodeConfig
	case formatBMP:
		configOf = bmp.DecodeConfig
	case formatTIFF:
		configOf = tiff.DecodeConfig
	default:
		return image.Config{}, fmt.Errorf("%w: %s", ErrUnsupportedFormat, f)
	}
	cfg, err := safely(func() (image.Config, error) { return configOf(bytes.NewReader(data)) })
	if err != nil {
		return image.Config{}, decodeError(f, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, fmt.Errorf("%w: %s header says %dx%d pixels", ErrCorrupt, f.label(), cfg.Width, cfg.Height)
	}
	return cfg, nil
}

// decodePixels decodes the first frame of data as premultiplied RGBA with its origin at (0,0),
// and says whether it is opaque. stored is the size from the header, which the pixel limit was
// checked against; atLeast is the size the thumbnail needs, for decoders that can scale while
// decoding. A decoder that reads its input as it goes stops once ctx is done. The picture may
// live in c's buffers until c's next decode.
func decodePixels(ctx context.Context, c *codec, f format, data []byte, stored, atLeast image.Point) (*image.RGBA, bool, error) {
	img, err := safely(func() (image.Image, error) { return decodeImage(ctx, c, f, data, stored, atLeast) })
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("decode %s: %w: stopped at the decoding deadline", f.label(), ctx.Err())
		}
		return nil, false, decodeError(f, err)
	}
	size := img.Bounds().Size()
	if size.X <= 0 || size.Y <= 0 || size.X > stored.X || size.Y > stored.Y {
		return nil, false, fmt.Errorf("%w: %s pixels are %dx%d, its header says %dx%d",
			ErrCorrupt, f.label(), size.X, size.Y, stored.X, stored.Y)
	}
	// JPEG (whatever the decoder), and every YCbCr or grey picture, has no alpha; a test of the
	// pixels would cost as much as a pass of the resize.
	opaque := f == formatJPEG
	switch v := img.(type) {
	case *image.YCbCr, *image.Gray, *image.Gray16, *image.CMYK:
		opaque = true
	case opaqueRGBA:
		return v.RGBA, true, nil
	}
	if f == formatWebP {
		if rgba, ok := vp8ToRGBA(img); ok {
			return rgba, opaque, nil
		}
	}
	return toRGBA(img), opaque, nil
}

// opaqueRGBA is a picture its decoder knows has no alpha (a HEIF image without an alpha
// plane), so that the resize takes the packed path for opaque pictures.
type opaqueRGBA struct{ *image.RGBA }

func decodeImage(ctx context.Context, c *codec, f format, data []byte, stored, atLeast image.Point) (image.Image, error) {
	r := newDeadlineReader(ctx, data)
	switch f {
	case formatJPEG:
		return c.decodeJPEG(ctx, data, stored, atLeast)
	case formatPNG:
		return png.Decode(r)
	case formatGIF:
		return decodeGIF(r)
	case formatWebP:
		return webp.Decode(r)
	case formatBMP:
		return bmp.Decode(r)
	case formatTIFF:
		return tiff.Decode(r)
	case formatHEIC, formatAVIF:
		return decodeHEIF(f, data, stored, atLeast)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedFormat, f)
}

// decodeJPEGStd decodes with Go's decoder, the one builds without cgo use (jpeg_std.go),
// stopping once ctx is done.
func decodeJPEGStd(ctx context.Context, data []byte) (image.Image, error) {
	return jpeg.Decode(newDeadlineReader(ctx, data))
}

// decodeGIF returns the first frame as shown: a frame can be smaller than the logical screen
// and placed anywhere in it, and browsers show it on a transparent screen of the full size.
func decodeGIF(r *deadlineReader) (image.Image, error) {
	cfg, err := gif.DecodeConfig(r)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	frame, err := gif.Decode(r)
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if frame.Bounds() == screen {
		return frame, nil
	}
	canvas := image.NewRGBA(screen)
	draw.Draw(canvas, frame.Bounds(), frame, frame.Bounds().Min, draw.Src)
	return canvas, nil
}

// isAnimatedWebP reads the animation flag of a VP8X chunk, which x/image/webp cannot decode
// and would only call "invalid format".
func isAnimatedWebP(data []byte) bool {
	const animation = 0x02
	return len(data) >= 21 && string(data[12:16]) == "VP8X" &&
		binary.LittleEndian.Uint32(data[16:20]) >= 10 && data[20]&animation != 0
}

// safely runs a third-party decoder and turns a panic on hostile input into ErrCorrupt: the
// input is at fault, and trying it again would panic again.
func safely[T any](decode func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("%w: the decoder failed on this data (%v)", ErrCorrupt, p)
		}
	}()
	return decode()
}

// decodeError classifies a decoder's error and says what it means for the photo.
func decodeError(f format, err error) error {
	var (
		jpegUnsupported jpeg.UnsupportedError
		pngUnsupported  png.UnsupportedError
		tiffUnsupported tiff.UnsupportedError
	)
	switch {
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrUnsupportedFormat):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: truncated %s (the data ends before the picture does)", ErrCorrupt, f.label())
	case errors.As(err, &jpegUnsupported), errors.As(err, &pngUnsupported),
		errors.As(err, &tiffUnsupported), errors.Is(err, bmp.ErrUnsupported):
		return fmt.Errorf("%w: a kind of %s that is not supported (%v)", ErrUnsupportedFormat, f.label(), err)
	}
	return fmt.Errorf("%w: damaged %s data (%v)", ErrCorrupt, f.label(), err)
}

// toRGBA returns img as premultiplied RGBA with its origin at (0,0), the form the resize works
// on. It runs in the calling goroutine: the daemon already runs a photo per core, and fanning
// one photo out over goroutines would only add scheduling to the same work.
func toRGBA(img image.Image) *image.RGBA {
	if rgba, ok := img.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
		return rgba
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	return dst
}
