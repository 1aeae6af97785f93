package imaging

// fit returns the size of a w×h picture scaled down to fit in a box×box square, keeping its
// aspect ratio (rounded to the nearest pixel, at least 1). A picture that fits keeps its size:
// thumbnails are never enlarged.
func fit(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, roundDiv(h*box, w))
	}
	return max(1, roundDiv(w*box, h)), box
}

// roundDiv returns a/b rounded to the nearest integer, for non-negative a and positive b.
func roundDiv(a, b int) int { return (2*a + b) / (2 * b) }
