package thumbstore

import (
	"path"
	"strconv"

	"github.com/google/uuid"
)

// Key is the name a photo's thumbnail is stored under, relative to the store's directory or
// prefix: "<uuid>.jpg" for the primary thumbnail (the first box in JPEG, the seed's one
// thumbnail, which existing rows and clients rely on), and "<uuid>-<box>.<ext>" for every
// other box and format. format is "jpeg", "webp" or "avif"; box is the edge of the square box
// the thumbnail fits in.
func Key(photo uuid.UUID, box int, format string, primary bool) string {
	ext := Extension(format)
	if primary && ext == "jpg" {
		return photo.String() + ".jpg"
	}
	return photo.String() + "-" + strconv.Itoa(box) + "." + ext
}

// Extension is the file extension of a thumbnail format: "jpg" for "jpeg", the format's own
// name otherwise.
func Extension(format string) string {
	if format == "jpeg" {
		return "jpg"
	}
	return format
}

// MediaType is the Content-Type a thumbnail named name is stored and served with, by its
// extension: image/jpeg, image/webp or image/avif; image/jpeg for any other name (the probe's
// sentinel, rows of the seed).
func MediaType(name string) string {
	switch path.Ext(name) {
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	}
	return "image/jpeg"
}
