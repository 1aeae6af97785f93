package pool

import (
	"slices"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/thumbstore"
)

// file is one thumbnail file an attempt stores, and the boxes whose rows name it.
type file struct {
	key   string
	thumb imaging.Thumbnail
	// boxes are those of thumb.Boxes recorded with it: the ones its photo lacks in its
	// format. A source smaller than several boxes makes one file for all of them.
	boxes []int
	url   string // where it was stored, as recorded; "" until then
}

// wanted is every thumbnail a photo gets with cfg: each box in each format.
func wanted(cfg imaging.Config) []store.Variant { return store.Variants(cfg.Boxes(), cfg.Formats) }

// lacks reports whether a photo with the rows stored has none for box in format f.
func lacks(stored []store.Variant, box int, f imaging.Format) bool {
	return !slices.Contains(stored, store.Variant{Size: box, Format: string(f)})
}

// missing is the filter of the thumbnails a photo with the rows stored lacks: nil (all of
// them) for a photo without any.
func missing(stored []store.Variant) func([]int, imaging.Format) bool {
	if len(stored) == 0 {
		return nil
	}
	return func(boxes []int, f imaging.Format) bool {
		return slices.ContainsFunc(boxes, func(b int) bool { return lacks(stored, b, f) })
	}
}

// files names the files of an attempt's thumbnails. Each is named by the first box it is
// recorded for; the primary (the first box in JPEG) is "<uuid>.jpg" only for a photo without
// rows. A photo with rows is a backfill: its new files all get "<uuid>-<box>.<ext>", so
// that no file a row names is written over, whatever the first box is now.
func (p *Pool) files(a *attempt) []file {
	first := p.wanted[0].Size
	fresh := len(a.photo.Stored) == 0
	var files []file
	for _, t := range a.made.Thumbnails {
		var boxes []int
		for _, b := range t.Boxes {
			if lacks(a.photo.Stored, b, t.Format) {
				boxes = append(boxes, b)
			}
		}
		if len(boxes) == 0 {
			continue
		}
		primary := fresh && t.Format == imaging.JPEG && boxes[0] == first
		files = append(files, file{key: thumbstore.Key(a.photo.UUID, boxes[0], string(t.Format), primary), thumb: t, boxes: boxes})
	}
	return files
}

// rows are the photo_thumbnails rows of the attempt's stored files: one per box and format.
func (a *attempt) rows() []store.Thumbnail {
	src := store.Source{Bytes: int64(a.size), Width: a.made.SourceWidth, Height: a.made.SourceHeight, Format: a.made.SourceFormat}
	var rows []store.Thumbnail
	for _, f := range a.files {
		for _, box := range f.boxes {
			rows = append(rows, store.Thumbnail{
				PhotoUUID: a.photo.UUID, Size: box, Format: string(f.thumb.Format),
				Width: f.thumb.Width, Height: f.thumb.Height, URL: f.url, Source: src, Timings: a.took,
			})
		}
	}
	return rows
}
