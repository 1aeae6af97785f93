//go:build cgo && !purego && !nolcms

package imaging

import (
	"testing"
)

// TestMatrixTransformMatchesLittleCMS: the pure-Go converter makes, from every colour of a
// 32-level grid (and every grey), the pixels Little CMS makes, within a level: the same
// profiles, parsed and applied by two codes.
func TestMatrixTransformMatchesLittleCMS(t *testing.T) {
	t.Parallel()
	profiles := map[string][]byte{"grey gamma 1.8": greyGamma(1.8), "Rec. 2020 (nclx)": rgbProfile(bt2020, bt709Curve, "BT.2020")}
	for _, p := range rgbTestProfiles(t) {
		profiles[p.name] = p.icc
	}
	profiles["Rec. 709, a sampled curve"] = readTestdata(t, "icc/Rec709-colord.icc")
	var grid []byte
	for r := 0; r < 256; r += 8 {
		for g := 0; g < 256; g += 8 {
			for b := 0; b < 256; b += 8 {
				grid = append(grid, byte(r), byte(g), byte(b), 255)
			}
		}
	}
	for v := range 256 {
		grid = append(grid, byte(v), byte(v), byte(v), 255)
	}
	for name, icc := range profiles {
		prof, err := readICC(icc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var ours *matrixTransform
		format, kind := uint32(lcmsRGBA), rgbPixels
		if prof.rgb != nil {
			ours = newMatrixTransform(prof.rgb)
		} else {
			ours, format, kind = newGreyTransform(prof.grey), lcmsGreyInRGBA, greyPixels
		}
		lcms, err := newLCMSTransform(icc, prof.space, format)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := grid
		if kind == greyPixels {
			in = grid[len(grid)-4*256:]
		}
		a, b := append([]byte{}, in...), append([]byte{}, in...)
		ours.convert(a)
		lcms.convert(b)
		lcms.close()
		var sum, worst int
		for i := range a {
			d := max(int(a[i])-int(b[i]), int(b[i])-int(a[i]))
			sum += d
			worst = max(worst, d)
		}
		mean := float64(sum) / float64(len(a)*3/4)
		t.Logf("%s: mean difference %.3f, largest %d", name, mean, worst)
		if worst > 1 || mean > 0.1 {
			t.Errorf("%s: pure Go and Little CMS differ by %.3f on average, %d at most", name, mean, worst)
		}
	}
}

// TestLittleCMSMemoryIsBounded: building transforms stays far within Little CMS's limit for real
// profiles, and a profile that declares tables larger than the limit is refused, not
// allocated.
func TestLittleCMSMemoryIsBounded(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		icc    []byte
		space  string
		format uint32
	}{
		"Display P3": {displayP3Profile(), "RGB ", lcmsRGBA},
		"ProPhoto":   {readTestdata(t, "icc/ProPhotoRGB.icc"), "RGB ", lcmsRGBA},
		"press CMYK": {readCMYKProfile(t), "CMYK", lcmsAdobeCMYK},
	} {
		l, err := newLCMSTransform(tc.icc, tc.space, tc.format)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s (%d bytes): %d KB while built, %d KB kept", name, len(tc.icc), l.peak()>>10, l.bytes()>>10)
		if l.peak() > lcmsMemoryLimit/4 {
			t.Errorf("%s: %d bytes while built, a quarter of the limit is %d", name, l.peak(), lcmsMemoryLimit/4)
		}
		l.close()
	}
	_, err := newLCMSTransform(hugeCLUTProfile(), "CMYK", lcmsAdobeCMYK)
	if err == nil {
		t.Fatal("a profile declaring 240 MB of tables was built")
	}
	t.Logf("huge tables: %v", err)
}
