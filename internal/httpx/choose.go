package httpx

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/munnerz/goautoneg"

	"github.com/photoproc/photoproc/store"
)

// Want is what a request for a photo's thumbnail asks for; its Pick chooses the row. Both
// listeners serve thumbnails through it.
type Want struct {
	// Size is the box asked for (?size=); 0 for Default.
	Size int
	// Default is the box served when Size is 0: the first configured box. When the photo has
	// no row of it (made under older settings), or Default is 0, its primary's box is served.
	Default int
	// Format is the format asked for (?format=): jpeg, webp or avif; "" for the best the
	// Accept header takes among those stored at the box.
	Format string
	// Accept is the request's Accept header.
	Accept string
}

// preference is the order formats are chosen in when a client takes several as well: the
// smallest files first (docs/thumbnail-formats.md).
var preference = []string{"avif", "webp", "jpeg"}

// MediaType is the media type of a thumbnail format: image/jpeg for "jpeg" (and for "", the
// format of rows from before formats were recorded).
func MediaType(format string) string {
	return "image/" + cmp.Or(format, "jpeg")
}

// Pick chooses among a photo's thumbnails: the rows of the box asked for, then the format
// asked for or the one Accept prefers. A box or format not stored is a 404 naming what is.
func (w Want) Pick(thumbs []store.Thumbnail) (Choice, error) {
	size := w.Size
	if size == 0 {
		size = w.Default
		if !slices.ContainsFunc(thumbs, func(t store.Thumbnail) bool { return t.Size == size }) {
			size = fallbackSize(thumbs)
		}
	}
	var atSize []store.Thumbnail
	for _, t := range thumbs {
		if t.Size == size {
			atSize = append(atSize, t)
		}
	}
	if len(atSize) == 0 {
		return Choice{}, notStored(thumbs, "query.size", size, fmt.Sprintf("no thumbnail of box %d", size))
	}
	if w.Format != "" {
		i := slices.IndexFunc(atSize, func(t store.Thumbnail) bool { return cmp.Or(t.Format, "jpeg") == w.Format })
		if i < 0 {
			return Choice{}, notStored(thumbs, "query.format", w.Format, fmt.Sprintf("no %d %s thumbnail", size, w.Format))
		}
		return Choice{Thumbnail: atSize[i]}, nil
	}
	if len(atSize) == 1 {
		return Choice{Thumbnail: atSize[0]}, nil // Accept changed nothing
	}
	formats := make([]string, len(atSize))
	for i, t := range atSize {
		formats[i] = cmp.Or(t.Format, "jpeg")
	}
	return Choice{Thumbnail: atSize[slices.Index(formats, negotiate(w.Accept, formats))], Vary: "Accept"}, nil
}

// fallbackSize is the box served when the default one is not stored: the primary's, else
// the smallest stored.
func fallbackSize(thumbs []store.Thumbnail) int {
	if p, ok := store.Primary(thumbs); ok {
		return p.Size
	}
	return slices.MinFunc(thumbs, func(a, b store.Thumbnail) int { return cmp.Compare(a.Size, b.Size) }).Size
}

// notStored is the 404 for a box or format the photo does not have, listing what it has:
// "This photo has no 640 avif thumbnail; stored: 320 jpeg, 320 webp, 640 jpeg."
func notStored(thumbs []store.Thumbnail, location string, value any, what string) error {
	stored := make([]string, 0, len(thumbs))
	for _, t := range thumbs {
		stored = append(stored, strconv.Itoa(t.Size)+" "+cmp.Or(t.Format, "jpeg"))
	}
	slices.SortFunc(stored, func(a, b string) int {
		sa, fa, _ := strings.Cut(a, " ")
		sb, fb, _ := strings.Cut(b, " ")
		na, _ := strconv.Atoi(sa)
		nb, _ := strconv.Atoi(sb)
		return cmp.Or(cmp.Compare(na, nb), cmp.Compare(fa, fb))
	})
	return huma.Error404NotFound(fmt.Sprintf("This photo has %s; stored: %s.", what, strings.Join(slices.Compact(stored), ", ")),
		&huma.ErrorDetail{Location: location, Value: value, Message: "not stored"})
}

// negotiate returns the format among stored (never empty) that accept prefers: the highest
// quality the header gives it (RFC 9110 §12.5.1: the most specific range that matches sets
// it; q=0 refuses), ties broken by preference.
//
// WebP and AVIF count only where a range names them: browsers that cannot decode them still
// send image/* and */* (Chrome before 85 sent "image/webp,image/apng,image/*,*/*;q=0.8" and
// could not show AVIF), so a wildcard reaches them only when no format named, nor JPEG, is
// acceptable. No header takes anything. When nothing stored is acceptable the header is
// disregarded, as RFC 9110 allows, and JPEG is sent, which every client decodes: a client
// that got the JPEG before negotiation keeps getting it.
//
// goautoneg parses the header; its Negotiate is not used, because it lets the first range
// that matches decide (so "image/*, image/avif;q=0" would send AVIF) and prefers the
// client's order to ours on ties.
func negotiate(accept string, stored []string) string {
	if strings.TrimSpace(accept) == "" {
		accept = "*/*"
	}
	ranges := goautoneg.ParseAccept(strings.ToLower(accept))
	best, bestQ, bestNamed := "", 0.0, false
	for _, f := range preference {
		if !slices.Contains(stored, f) {
			continue
		}
		q, named := quality(ranges, MediaType(f))
		named = named || f == "jpeg"
		if q > 0 && (named && !bestNamed || named == bestNamed && q > bestQ) {
			best, bestQ, bestNamed = f, q, named
		}
	}
	if best == "" {
		if slices.Contains(stored, "jpeg") {
			return "jpeg"
		}
		return stored[0]
	}
	return best
}

// quality is the q the most specific of ranges that matches media type mt gives it (0 when
// none does), and whether that range names mt itself rather than a wildcard.
func quality(ranges []goautoneg.Accept, mt string) (q float64, named bool) {
	typ, sub, _ := strings.Cut(mt, "/")
	specificity := -1
	for _, r := range ranges {
		s := -1
		switch {
		case r.Type == typ && r.SubType == sub:
			s = 2
		case r.Type == typ && r.SubType == "*":
			s = 1
		case r.Type == "*" && r.SubType == "*":
			s = 0
		}
		if s > specificity {
			specificity, q = s, r.Q
		}
	}
	return q, specificity == 2
}
