package store

import (
	"fmt"
	"slices"
)

// Variant is one thumbnail a photo may have: a box and a format, the key of a photo_thumbnails
// row beside the photo.
type Variant struct {
	Size   int    // edge of the box, in pixels
	Format string // jpeg, webp or avif
}

func (v Variant) String() string { return fmt.Sprintf("%d %s", v.Size, v.Format) }

// Variants is every box in every format: the thumbnails a configuration asks each photo for
// (imaging.Config's Boxes() and Formats).
func Variants[F ~string](boxes []int, formats []F) []Variant {
	vs := make([]Variant, 0, len(boxes)*len(formats))
	for _, b := range boxes {
		for _, f := range formats {
			vs = append(vs, Variant{Size: b, Format: string(f)})
		}
	}
	return vs
}

// Missing is the variants of want that have is without, in want's order.
func Missing(want, have []Variant) []Variant {
	var out []Variant
	for _, v := range want {
		if !slices.Contains(have, v) {
			out = append(out, v)
		}
	}
	return out
}

// variantArrays splits vs into the two arrays the statements unnest: sizes and formats.
func variantArrays(vs []Variant) ([]int32, []string) {
	sizes, formats := make([]int32, len(vs)), make([]string, len(vs))
	for i, v := range vs {
		sizes[i], formats[i] = int32(v.Size), v.Format
	}
	return sizes, formats
}

// zipVariants is the inverse of variantArrays; nil for none.
func zipVariants(sizes []int32, formats []string) []Variant {
	if len(sizes) == 0 {
		return nil
	}
	vs := make([]Variant, len(sizes))
	for i := range sizes {
		vs[i] = Variant{Size: int(sizes[i]), Format: formats[i]}
	}
	return vs
}

// lackingSQL is true for a photo $uuid (an expression) that has no row for one of the variants
// in the arrays $sizes and $formats: one probe of photo_thumbnails' unique index per variant.
func lackingSQL(uuid, sizes, formats string) string {
	return `EXISTS (SELECT FROM unnest(` + sizes + `::int[], ` + formats + `::text[]) AS w(size, format)
    WHERE NOT EXISTS (SELECT FROM photo_thumbnails t
        WHERE t.photo_uuid = ` + uuid + ` AND t.size = w.size AND t.format = w.format))`
}
