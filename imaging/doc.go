// Package imaging turns the bytes of a photo into small, upright thumbnails: one per configured
// size (Config.Boxes) in each configured format (JPEG, WebP, AVIF), and a ThumbHash, all from
// one decode. Where thumbnails are kept is package thumbstore's business.
//
// A [Maker] sniffs the format from the bytes (JPEG, PNG, GIF, WebP, BMP, TIFF, HEIC, AVIF),
// refuses images with more pixels than allowed before decoding them, decodes once at the size
// the largest box needs, shrinks the picture to fit each square box, largest first and each
// from the one before (never enlarging it: boxes the source fits in share one thumbnail of its
// own size), applies the EXIF orientation, puts transparent areas on white, and encodes each
// size in each format; the [Set] it returns says which boxes each thumbnail stands for. Every
// error it returns but one depends only on the input
// bytes, so a caller may treat it as permanent; the sentinels [ErrUnsupportedFormat],
// [ErrTooManyPixels] and [ErrCorrupt] say which kind it is, and the message says why in words a
// person can act on. The exception is a decode stopped by Config.DecodeTimeout, which wraps
// context.DeadlineExceeded.
//
// What a source may cost is bounded before it is decoded: its pixels (Config.MaxPixels), a
// JPEG's structure (scans and marker segments, jpegscan.go), and the memory its decode takes
// (cost.go), reserved from a budget all decodes share.
//
// Thumbnails are sRGB with no profile embedded. A source that declares another colour space (an
// ICC profile in any format that carries one, HEIF's nclx, PNG's cICP, cHRM and gAMA) has its
// pixels converted to sRGB (colour.go, docs/colour.md): matrix/TRC and grey profiles by the
// package's own converter in every build, CMYK and other profiles of tables by Little CMS
// through cgo (lcms_cgo.go; Debian package liblcms2-dev), which builds without it leave as
// before. A source that declares nothing, or sRGB, is left exactly as decoded. A profile that
// cannot be used is ignored, never an error; Thumbnail.Colour says what was found and done.
//
// The package keeps no state between calls but reusable buffers, codec handles and the colour
// transforms of the profiles seen last: one Maker may be used from many goroutines. It does not
// download, write files, store records, retry or log; it keeps no metadata (EXIF, ICC profiles)
// in the thumbnail.
//
// JPEG, the common case, has two codecs, chosen when building (see [JPEGCodec]). With cgo
// (the default; Debian package libturbojpeg0-dev) libjpeg-turbo decodes at 1/8, 1/4 or 1/2 of
// the size when the thumbnail allows it and encodes the thumbnail (jpeg_turbo.go); what it
// refuses is never handed to image/jpeg. With CGO_ENABLED=0 or the purego tag, Go's image/jpeg
// does both (jpeg_std.go): slower, and just as correct. Resizing is the package's own either
// way (resample.go): a box reduction while the picture is more than twice the thumbnail, then
// Lanczos-3 with precomputed fixed-point weights. Each Make runs in the calling goroutine, with
// codec handles and buffers a Maker keeps for the next call until Close.
//
// HEIC and AVIF are decoded by libheif through cgo (heif_cgo.go; Debian package libheif-dev),
// which also applies their own crop, rotation and mirror; see [HEIFSupport]. Builds with
// CGO_ENABLED=0, the purego tag or the noheif tag refuse them, saying so (heif_std.go).
//
// WebP thumbnails are encoded by libwebp (webp_cgo.go; libwebp-dev), AVIF ones by libavif with
// libaom (avif_cgo.go; libavif-dev); see [EncoderSupport]. Builds without cgo, or with the
// nowebp or noavif tag, make JPEG thumbnails only: New refuses a Config asking for the others,
// naming the build (encoders.go).
package imaging
