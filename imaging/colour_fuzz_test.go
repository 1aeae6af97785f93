package imaging

import (
	"os"
	"testing"
)

// FuzzColourProfile hands any bytes, as a photo's ICC profile, to the profile reader and to
// what converts with it (Little CMS with cgo, the pure-Go converter without), for each kind of
// pixels: nothing may crash, and a converter made must convert.
func FuzzColourProfile(f *testing.F) {
	f.Add(displayP3Profile())
	f.Add(greyGamma(2.2))
	f.Add(hugeCLUTProfile())
	for _, name := range []string{"icc/AdobeRGB1998.icc", "icc/sRGB-v2.icc", "icc/Rec709-colord.icc"} {
		f.Add(readTestdata(f, name))
	}
	if b, err := os.ReadFile(cmykProfilePath); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, icc []byte) {
		for _, kind := range []pixelKind{rgbPixels, greyPixels, cmykPixels} {
			e := newColourEntry(icc, kind)
			if e.conv == nil {
				continue
			}
			pix := []byte{0, 0, 0, 255, 255, 255, 255, 255, 10, 200, 30, 255, 128, 128, 128, 255}
			e.conv.convert(pix)
			e.conv.close()
		}
	})
}

// FuzzColourRead hands any bytes, as each format, to the readers of colour declarations: they
// must not crash and must bound what they return.
func FuzzColourRead(f *testing.F) {
	photo := quadrants(16, 16, upright)
	rgba := toRGBA(photo)
	p3 := displayP3Profile()
	f.Add(withJPEGProfile(encodeJPEGTest(f, photo), p3, 100))
	f.Add(withPNGChunk(encodePNG(f, photo), "iCCP", iccpChunk(f, p3)))
	f.Add(withPNGChunk(encodePNG(f, photo), "cHRM", make([]byte, 32)))
	f.Add(withPNGChunk(encodePNG(f, photo), "cICP", []byte{12, 13, 0, 1}))
	f.Add(rgbTIFF(rgba, p3))
	for _, name := range []string{"p3-icc.webp", "p3-icc.avif", "srgb.avif"} {
		f.Add(colourSample(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range []format{formatJPEG, formatPNG, formatWebP, formatTIFF, formatHEIC, formatAVIF} {
			j := inspectJPEG(data)
			s := readColour(fm, data, &j)
			if len(s.icc) > maxProfileBytes {
				t.Fatalf("%s: a profile of %d bytes", fm, len(s.icc))
			}
		}
	})
}
