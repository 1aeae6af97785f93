package imaging

import (
	"container/list"
	"crypto/sha256"
	"fmt"
	"image"
	"sync"
)

// Thumbnails are sRGB, with no profile embedded: the web's default colour space, which every
// browser assumes of an untagged image. A source that declares another space (colourread.go)
// has its pixels converted to sRGB: by the package's matrix/TRC converter when the profile is
// one (colourmatrix.go), else by Little CMS in builds with cgo (lcms_cgo.go; lcms_std.go
// without). A source that declares nothing, or sRGB, is left exactly as decoded, at no cost.
// docs/colour.md has the choices (rendering intent, where in the pipeline) and their
// measurements.

// ColourInfo says what colour space a source declared and what became of it, for the caller's
// logs: the package does not log.
type ColourInfo struct {
	// Profile names what the source declared: `ICC profile "Display P3"`, "nclx (primaries
	// 12, transfer 13)", "PNG cHRM/gAMA", "PNG sRGB"; "" when it declared nothing, and its
	// pixels were taken as sRGB.
	Profile string
	// Converted says the pixels were converted from it to sRGB.
	Converted bool
	// Ignored says why a declared space was not used (a damaged profile, one this build cannot
	// convert, a CMYK profile on RGB pixels ...): the pixels were then taken as sRGB, as before
	// profiles were read. "" otherwise.
	Ignored string
}

// Bounds of the cache of transforms, one per distinct profile: a camera or phone model repeats
// its profile in every photo, and building a transform costs from 0.1 ms (a matrix/TRC profile)
// to 100 ms (a press CMYK profile).
const (
	maxCachedTransforms = 32
	maxCachedBytes      = 64 << 20 // of Little CMS memory; matrix/TRC transforms take a few KB
)

// colourCache keeps the transforms of the profiles seen last, and what was found of each
// profile (sRGB, or why it is ignored), keyed by the SHA-256 of the profile's bytes. Safe for
// concurrent use; a transform in use by a photo is freed only once the photo is done with it.
type colourCache struct {
	mu      sync.Mutex
	entries map[[32]byte]*list.Element // of *colourEntry
	lru     list.List                  // most recently used first
	bytes   int64
	closed  bool
}

// colourEntry is what one profile gives: a converter, or none with the reason.
type colourEntry struct {
	key     [32]byte
	conv    pixelConverter // nil: nothing to convert (sRGB) or the profile is ignored
	name    string
	ignored string
	bytes   int64
	refs    int  // photos using conv
	dropped bool // out of the cache: the last photo using it closes conv
}

// pixelConverter converts 4-byte pixels to sRGB RGBA in place. Safe for concurrent use.
type pixelConverter interface {
	convert(pix []byte)
	close()
}

// colourUse is one photo's use of the cache: the source's declaration and, once found or made,
// its entry, held until release.
type colourUse struct {
	cache *colourCache
	src   colourSource
	key   [32]byte
	entry *colourEntry
}

// find reads the colour declaration of a source and takes the cached entry of its profile, if
// any. It never fails: what cannot be used is ignored (colourUse.info says why).
func (c *colourCache) find(f format, src []byte, j *jpegInfo) *colourUse {
	u := &colourUse{cache: c, src: readColour(f, src, j)}
	if u.src.icc == nil {
		return u
	}
	u.key = sha256.Sum256(u.src.icc)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[u.key]; ok {
		c.lru.MoveToFront(el)
		u.entry = el.Value.(*colourEntry)
		u.entry.refs++
	}
	return u
}

// cost is the memory building the photo's transform may take: Little CMS's limit whenever the
// profile is not cached yet (whether Little CMS or the Go converter will build it is known
// only once the profile is read), else nothing.
func (u *colourUse) cost() int64 {
	if u.src.icc == nil || u.entry != nil {
		return 0
	}
	return colourBuildCost
}

// prepare builds the entry of the photo's profile when the cache had none.
func (u *colourUse) prepare() {
	if u.src.icc == nil || u.entry != nil {
		return
	}
	e := newColourEntry(u.src.icc, u.src.pixels)
	e.key, e.refs = u.key, 1
	u.entry = u.cache.add(e)
}

// cmyk returns the converter of a CMYK source, for the JPEG decoder, or nil.
func (u *colourUse) cmyk() pixelConverter {
	if u.src.pixels != cmykPixels || u.entry == nil {
		return nil
	}
	return u.entry.conv
}

// apply converts the opaque thumbnail img to sRGB when the source was in another space (CMYK
// was converted while decoding), and says what was done.
func (u *colourUse) apply(img *image.RGBA) ColourInfo {
	info := u.info()
	if info.Converted && u.src.pixels != cmykPixels {
		w := 4 * img.Rect.Dx()
		for y := range img.Rect.Dy() {
			u.entry.conv.convert(img.Pix[y*img.Stride : y*img.Stride+w])
		}
	}
	return info
}

func (u *colourUse) info() ColourInfo {
	info := ColourInfo{Profile: u.src.label, Ignored: u.src.ignored}
	if e := u.entry; e != nil {
		if e.name != "" && u.src.label == "ICC profile" {
			info.Profile = fmt.Sprintf("%s %q", u.src.label, e.name)
		}
		info.Ignored, info.Converted = e.ignored, e.conv != nil
	}
	return info
}

// release gives the photo's entry back.
func (u *colourUse) release() {
	if u.entry == nil {
		return
	}
	u.cache.mu.Lock()
	e := u.entry
	e.refs--
	free := e.dropped && e.refs == 0
	u.cache.mu.Unlock()
	if free && e.conv != nil {
		e.conv.close()
	}
	u.entry = nil
}

// add puts e in the cache and returns it, or the entry another photo added for the same
// profile meanwhile (then e is closed), evicting the least recently used entries past the
// bounds.
func (c *colourCache) add(e *colourEntry) *colourEntry {
	c.mu.Lock()
	if el, ok := c.entries[e.key]; ok {
		kept := el.Value.(*colourEntry)
		kept.refs++
		c.mu.Unlock()
		if e.conv != nil {
			e.conv.close()
		}
		return kept
	}
	if c.closed {
		e.dropped = true
		c.mu.Unlock()
		return e
	}
	if c.entries == nil {
		c.entries = map[[32]byte]*list.Element{}
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.bytes += e.bytes
	var evicted []pixelConverter
	for c.lru.Len() > maxCachedTransforms || c.bytes > maxCachedBytes && c.lru.Len() > 1 {
		evicted = append(evicted, c.drop(c.lru.Back()))
	}
	c.mu.Unlock()
	closeAll(evicted)
	return e
}

// drop takes el out of the cache and returns the converter to close now, if no photo uses it.
func (c *colourCache) drop(el *list.Element) pixelConverter {
	e := c.lru.Remove(el).(*colourEntry)
	delete(c.entries, e.key)
	c.bytes -= e.bytes
	e.dropped = true
	if e.refs == 0 {
		return e.conv
	}
	return nil
}

// close frees every cached transform (those in use, when their photo is done).
func (c *colourCache) close() {
	c.mu.Lock()
	var evicted []pixelConverter
	for c.lru.Len() > 0 {
		evicted = append(evicted, c.drop(c.lru.Back()))
	}
	c.closed = true
	c.mu.Unlock()
	closeAll(evicted)
}

func closeAll(convs []pixelConverter) {
	for _, conv := range convs {
		if conv != nil {
			conv.close()
		}
	}
}

// newColourEntry reads a profile and makes its converter, or says why there is none.
func newColourEntry(icc []byte, pixels pixelKind) *colourEntry {
	e := &colourEntry{}
	prof, err := readICC(icc)
	if err != nil {
		e.ignored = "its ICC profile cannot be read: " + err.Error()
		return e
	}
	e.name = prof.name
	if why := prof.mismatch(pixels); why != "" {
		e.ignored = why
		return e
	}
	if prof.isSRGB() {
		return e
	}
	if conv := prof.matrixConverter(); conv != nil {
		e.conv = conv
		return e
	}
	conv, bytes, err := newConverter(prof, icc, pixels)
	if err != nil {
		e.ignored = "its ICC profile is not converted: " + err.Error()
		return e
	}
	e.conv, e.bytes = conv, bytes
	return e
}

// mismatch says why a profile cannot describe pixels of that kind, or "".
func (p *iccProfile) mismatch(pixels pixelKind) string {
	switch p.class {
	case "mntr", "scnr", "prtr", "spac":
	default:
		return fmt.Sprintf("its ICC profile is of class %q, not one of a picture's colour space", p.class)
	}
	want := map[pixelKind]string{rgbPixels: "RGB ", greyPixels: "GRAY", cmykPixels: "CMYK"}[pixels]
	if p.space != want {
		names := map[string]string{"RGB ": "RGB", "GRAY": "grey", "CMYK": "CMYK"}
		return fmt.Sprintf("its ICC profile is for %s data, and its pixels are %s", spaceName(p.space), names[want])
	}
	return ""
}

func spaceName(s string) string {
	switch s {
	case "RGB ":
		return "RGB"
	case "GRAY":
		return "grey"
	}
	return fmt.Sprintf("%q", s)
}

// matrixConverter returns the pure-Go converter of a matrix/TRC or grey profile without
// tables, or nil. Every build converts such profiles (Display P3, Adobe RGB, ProPhoto, every
// nclx and PNG description) in Go: Little CMS 2.14 makes the same pixels within a level
// (TestMatrixTransformMatchesLittleCMS) but builds a 33³ table for each (26 million
// instructions) and then spends 221 instructions a pixel, against 1.1 million and 68 for this
// one: on a 12 MP JPEG, 15 % more CPU against 2 % (docs/colour.md).
func (p *iccProfile) matrixConverter() pixelConverter {
	switch {
	case p.lut:
		return nil
	case p.rgb != nil:
		return newMatrixTransform(p.rgb)
	case p.grey != nil:
		return newGreyTransform(p.grey)
	}
	return nil
}

// isSRGB reports whether converting from p would leave every pixel as it is: a matrix/TRC or
// grey profile of sRGB's colorants and curve, without tables that Little CMS would use
// instead.
func (p *iccProfile) isSRGB() bool {
	switch {
	case p.lut:
		return false
	case p.rgb != nil:
		return p.rgb.isSRGB()
	case p.grey != nil:
		return curveIsSRGB(p.grey)
	}
	return false
}
