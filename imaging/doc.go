// Package imaging turns the bytes of a photo into a small, upright JPEG thumbnail, and writes
// files atomically.
//
// A [Maker] sniffs the format from the bytes (JPEG, PNG, GIF, WebP, BMP, TIFF), refuses images
// with more pixels than allowed before decoding them, decodes, applies the EXIF orientation,
// shrinks the picture to fit a square box (never enlarging it), puts transparent areas on white,
// and encodes a JPEG. Every error it returns depends only on the input bytes, so a caller may
// treat it as permanent; the sentinels [ErrUnsupportedFormat], [ErrTooManyPixels] and
// [ErrCorrupt] say which kind it is, and the message says why in words a person can act on.
//
// The package is pure Go and keeps no state between calls: one Maker may be used from many
// goroutines. It does not download, store records, retry or log; it does not keep metadata
// (EXIF, ICC profiles) in the thumbnail, and does not convert colour profiles (pixels are taken
// as sRGB). The JPEG decoder sits behind one small function (see jpeg_std.go) so that a
// libjpeg-turbo build can replace it.
package imaging
