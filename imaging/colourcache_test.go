package imaging

import (
	"bytes"
	"testing"
)

// TestColourCacheKeepsOneTransformPerProfile: the same profile is read and built once, and the
// cache stays within its bounds.
func TestColourCacheKeepsOneTransformPerProfile(t *testing.T) {
	t.Parallel()
	var c colourCache
	defer c.close()
	jpg := func(icc []byte) *jpegInfo {
		j := inspectJPEG(withJPEGProfile(encodeJPEGTest(t, quadrants(16, 16, upright)), icc, 60000))
		return &j
	}
	p3 := jpg(displayP3Profile())
	first := c.find(formatJPEG, nil, p3)
	first.prepare()
	second := c.find(formatJPEG, nil, p3)
	if second.entry != first.entry || second.cost() != 0 {
		t.Fatalf("the second photo of a profile did not find its transform")
	}
	first.release()
	second.release()
	for i := range maxCachedTransforms + 5 {
		icc := rgbProfile(primaries{xy{0.55 + float64(i)/500, 0.33}, xy{0.3, 0.6}, xy{0.15, 0.06}, d65}, srgbCurve, "test")
		u := c.find(formatJPEG, nil, jpg(icc))
		u.prepare()
		if !u.info().Converted {
			t.Fatalf("profile %d: %+v", i, u.info())
		}
		u.release()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru.Len() != maxCachedTransforms || len(c.entries) != maxCachedTransforms {
		t.Errorf("cache holds %d entries (%d in the map), bound %d", c.lru.Len(), len(c.entries), maxCachedTransforms)
	}
}

// TestDisplayP3TestProfileIsCommitted: testdata/icc/display-p3.icc, which make bench-compare
// embeds, is the profile the tests make.
func TestDisplayP3TestProfileIsCommitted(t *testing.T) {
	t.Parallel()
	if !bytes.Equal(readTestdata(t, "icc/display-p3.icc"), displayP3Profile()) {
		t.Error("testdata/icc/display-p3.icc differs from displayP3Profile(): write it again")
	}
}
