package imaging

import (
	"errors"
	"image/color"
	"testing"

	"github.com/photoproc/photoproc/internal/crafted"
	"github.com/photoproc/photoproc/internal/testphotos"
)

func TestTurboWarning(t *testing.T) {
	t.Parallel()
	for text, whole := range map[string]bool{
		"Corrupt JPEG data: 4 extraneous bytes before marker 0xc2":               true,
		"Warning: unknown JFIF revision number 3.01":                             true,
		"Invalid SOS parameters for sequential JPEG":                             true,
		"Inconsistent progression sequence for component 0 coefficient 1":        true,
		"Unknown Adobe color transform code 7":                                   true,
		"Corrupt JPEG data: bad ICC marker":                                      true,
		"Corrupt JPEG data: premature end of data segment":                       false,
		"Corrupt JPEG data: bad Huffman code":                                    false,
		"Corrupt JPEG data: found marker 0xd9 instead of RST3":                   false,
		"Premature end of JPEG file":                                             false,
		"Bogus Huffman table definition":                                         false, // fatal
		"Progressive JPEG image has more than 500 scans":                         false,
		"Corrupt JPEG data: bad arithmetic code":                                 false,
		"Unsupported color conversion request":                                   false,
		"Corrupt JPEG data: 4 extraneous bytes before marker 0xc2 and then more": true,
	} {
		if got := turboWarning(text); got != whole {
			t.Errorf("turboWarning(%q) = %v, want %v", text, got, whole)
		}
	}
}

// TestBothBuildsJudgeRepairsAlike: a JPEG that libjpeg-turbo repairs around (bytes between
// markers) is made by both builds; one whose picture data is damaged is refused by both.
func TestBothBuildsJudgeRepairsAlike(t *testing.T) {
	t.Parallel()
	m := newMaker(t, nil)
	extraneous := insertBefore(t, crafted.ProgressiveJPEG(quadrants(64, 48, upright), crafted.JPEGOptions{}), 0xc2, []byte{0, 0, 0, 0})
	th, err := m.Make(extraneous)
	if err != nil {
		t.Fatalf("bytes before the frame header: %v", err)
	}
	checkQuadrants(t, decodeOutput(t, th.Primary()), upright, 24)
	if _, err := m.Make(testphotos.Read(t, "corrupted-truncated.jpg")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged scan: %v, want ErrCorrupt", err)
	}
}

// TestCMYKToRGBA matches color.CMYKToRGB on image/jpeg's values (255 minus libjpeg's).
func TestCMYKToRGBA(t *testing.T) {
	t.Parallel()
	var pix []byte
	for v := 0; v < 256; v += 5 {
		for k := 0; k < 256; k += 3 {
			pix = append(pix, byte(v), byte(255-v), byte(v/2), byte(k))
		}
	}
	in := append([]byte{}, pix...)
	cmykToRGBA(pix)
	for i := 0; i < len(in); i += 4 {
		r, g, b := color.CMYKToRGB(255-in[i], 255-in[i+1], 255-in[i+2], 255-in[i+3])
		if pix[i] != r || pix[i+1] != g || pix[i+2] != b || pix[i+3] != 255 {
			t.Fatalf("%v → %v, want %d %d %d 255", in[i:i+4], pix[i:i+4], r, g, b)
		}
	}
}
