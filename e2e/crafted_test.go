package e2e

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/crafted"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/store"
)

// craftedFile is a file made to cost a decoder time or memory, and what must become of it.
type craftedFile struct {
	name   string
	data   []byte
	copies int
	// fails is a part of the failure reason when the photo must fail, "" when it must be made.
	fails string
}

// craftedBatch is the hostile files, made from a repository photo: a progressive JPEG
// whose smallest scan is repeated 3000 times (28 s to decode before the scan limit), 48 MP
// progressive JPEGs of 1–2 MB (146 MB of coefficients at 4:2:0, 292 MB at 4:4:4, which the
// budget charged 3 MB), one with stray bytes before its frame header (which sent it to
// image/jpeg: 575 MB), a 31 MP one, and 16-bit deflate TIFFs of 134 KB (~400 MB each).
func craftedBatch(t *testing.T) []craftedFile {
	t.Helper()
	photo, err := jpeg.Decode(bytes.NewReader(testphotos.Read(t, "camera-1600x1200.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	mp48 := crafted.JPEGOptions{DCOnly: true, Scale: 5} // 8000x6000
	mp48_444 := mp48
	mp48_444.Subsampling = "4:4:4"
	repeated := mp48
	repeated.RepeatScan = 3000
	p48 := crafted.ProgressiveJPEG(photo, mp48)
	sof := bytes.Index(p48, []byte{0xff, 0xc2})
	stray := append(append(append([]byte{}, p48[:sof]...), 0, 0, 0, 0), p48[sof:]...)
	// With image/jpeg (the pure-Go build) a 48 MP progressive JPEG needs more than the whole
	// budget: its coefficients at 4 bytes each, the planes, the RGBA copy, all at full size.
	tooLarge := ""
	if imaging.JPEGCodec != "libjpeg-turbo" {
		tooLarge = "more than the 600 MB all decodes may take together"
	}
	return []craftedFile{
		{"repeated-scans-48mp.jpg", crafted.ProgressiveJPEG(photo, repeated), 4, "a JPEG of more than 100 scans"},
		{"progressive-48mp.jpg", p48, 8, tooLarge},
		{"progressive-48mp-444.jpg", crafted.ProgressiveJPEG(photo, mp48_444), 4, tooLarge},
		{"progressive-48mp-stray-bytes.jpg", stray, 2, tooLarge},
		{"progressive-31mp.jpg", crafted.ProgressiveJPEG(photo, crafted.JPEGOptions{DCOnly: true, Scale: 4}), 4, ""},
		{"deflate-16bit-3200.tif", crafted.DeflateTIFF16(3200, 3200), 4, ""},
	}
}

// TestCraftedFilesStayWithinTheBudget sends the crafted files, several copies each, through
// one photoproc process with 8 workers: each must be refused or made as the issue says, and
// the process's peak resident memory must stay within the decoding budget (12 bytes x
// PHOTOPROC_MAX_PIXELS, 600 MB) plus what the daemon takes besides decoding. Before the
// budget charged what decoding costs, 16 48 MP progressive JPEGs on 8 workers peaked at 1.1 GB.
// The child is built without the race detector, whose shadow memory would dwarf the rest.
func TestCraftedFilesStayWithinTheBudget(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	batch := craftedBatch(t)
	var ids []uuid.UUID
	want := map[uuid.UUID]craftedFile{}
	for _, f := range batch {
		for i := range f.copies {
			id := svc.addPhoto(t, svc.photos.add(fmt.Sprintf("%d-%s", i, f.name), f.data)).UUID
			ids, want[id] = append(ids, id), f
		}
		t.Logf("%s: %d bytes, %d copies", f.name, len(f.data), f.copies)
	}
	c := startBinary(t, buildPhotoproc(t, false), "", svc.childEnv("PHOTOPROC_WORKERS=8"), "serve")
	addrs := c.waitStarted(t)
	start := time.Now()
	mustQueue(t, http.DefaultClient, addrs.HTTP, ids)
	photos := svc.waitSettled(t, ids, 10*time.Minute)
	t.Logf("%d photos settled in %s", len(ids), time.Since(start).Round(time.Millisecond))
	for id, p := range photos {
		f := want[id]
		switch {
		case f.fails == "" && p.Status != store.StatusCompleted:
			t.Errorf("%s: %s (%s), want it made", f.name, p.Status, p.FailureReason)
		case f.fails != "" && (p.Status != store.StatusFailed || !strings.Contains(p.FailureReason, f.fails)):
			t.Errorf("%s: %s (%q), want it failed saying %q", f.name, p.Status, p.FailureReason, f.fails)
		}
	}
	const budget, besides = 600 << 20, 150 << 20
	peak := c.peakRSS(t)
	if _, code := c.signal(t, syscall.SIGTERM); code != 0 {
		t.Errorf("photoproc exited %d", code)
	}
	t.Logf("peak RSS %d MB (budget %d MB, plus %d MB for all but decoding)", peak>>20, budget>>20, besides>>20)
	if peak > budget+besides {
		t.Errorf("peak RSS %d MB, more than the %d MB budget plus %d MB", peak>>20, budget>>20, besides>>20)
	}
}
