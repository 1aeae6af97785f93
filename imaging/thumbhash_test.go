package imaging

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"testing"

	"github.com/photoproc/photoproc/internal/testphotos"
)

// TestThumbHashMatchesReference hashes the pictures of testdata/thumbhash, opaque and not,
// square, wide and tall, and compares with the bytes the reference implementation (evanw's
// js/thumbhash.js, npm thumbhash 0.1.1) gave for them (reference.mjs made vectors.json).
//
// The photos' hashes must be the same bytes. The two synthetic pictures with symmetries have
// AC terms that are exactly zero, which the hash stores as 7.5 rounded: which side of the tie
// a term falls on is decided by the last bit of cos, where Go's math.Cos and V8's differ. There
// a nibble may be 1 off the reference's, at most twice.
func TestThumbHashMatchesReference(t *testing.T) {
	t.Parallel()
	var vectors map[string]string
	if err := json.Unmarshal(readTestdata(t, "thumbhash/vectors.json"), &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) < 5 {
		t.Fatalf("%d vectors", len(vectors))
	}
	for name, want := range vectors {
		var w, h int
		if _, err := fmt.Sscanf(name[bytes.LastIndexByte([]byte(name), '-')+1:], "%dx%d.rgba.gz", &w, &h); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		z, err := gzip.NewReader(bytes.NewReader(readTestdata(t, "thumbhash/"+name)))
		if err != nil {
			t.Fatal(err)
		}
		pix, err := io.ReadAll(z)
		if err != nil || len(pix) != 4*w*h {
			t.Fatalf("%s: %d bytes, %v", name, len(pix), err)
		}
		img := &image.RGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
		got := thumbHash(img)
		ref, _ := base64.StdEncoding.DecodeString(want)
		ties := map[string]int{"alpha-40x100.rgba.gz": 2, "quadrants-64x48.rgba.gz": 2}[name]
		if off, far := nibblesOff(got, ref); off > ties || far > 0 {
			t.Errorf("%s: %s, reference %s", name, base64.StdEncoding.EncodeToString(got), want)
		}
	}
}

// TestSetThumbHash: Make's ThumbHash is that of the smallest thumbnail shrunk to 100 pixels,
// whatever the order of the boxes, and the same for every format set.
func TestSetThumbHash(t *testing.T) {
	t.Parallel()
	src := testphotos.Read(t, "camera-4032x3024.jpg")
	one, _ := makeThumb(t, newMaker(t, nil), src)
	// The vector of the 12 MP photo's 100x75 placeholder (testdata/thumbhash/photo-100x75).
	const want = "EykODYQHZ3iOdXeIhleXdiaAdghI"
	if got := base64.StdEncoding.EncodeToString(one.ThumbHash); got != want {
		t.Errorf("ThumbHash %s, want %s", got, want)
	}
	three, _ := makeThumb(t, newMaker(t, func(c *Config) { c.Sizes = []int{640, 320, 1280} }), src)
	if len(three.ThumbHash) < 5 || len(three.ThumbHash) > 25 {
		t.Fatalf("ThumbHash of %d bytes", len(three.ThumbHash))
	}
	// The 320 box is resized from the 640 one here, so it differs from the one-box set's by
	// rounding: the hash keeps 4 bits a term, and may differ in a term or two.
	if _, d := nibblesOff(one.ThumbHash, three.ThumbHash); d > 4 {
		t.Errorf("ThumbHash %x, one box %x: %d nibbles apart", three.ThumbHash, one.ThumbHash, d)
	}
}

// nibblesOff counts the nibbles of a and b that differ by 1, and those that differ by more
// (with the bytes one has and the other lacks).
func nibblesOff(a, b []byte) (off, far int) {
	far = max(len(a), len(b)) - min(len(a), len(b))
	for i := range min(len(a), len(b)) {
		for _, s := range []uint{0, 4} {
			switch d := int(a[i]>>s&15) - int(b[i]>>s&15); {
			case d == 1 || d == -1:
				off++
			case d != 0:
				far++
			}
		}
	}
	return off, far
}
