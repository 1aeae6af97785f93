package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/image/webp"

	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/store"
)

// Several sizes and formats per photo (issue 23): what the write side stores and records.

// setFormats are the thumbnail formats the e2e sets use: JPEG and WebP where this build encodes
// WebP, JPEG alone in the pure-Go build (which refuses WebP at start, TestPureGoRefusesWebP).
func setFormats() []imaging.Format {
	if strings.Contains(imaging.EncoderSupport(), "WebP none") {
		return []imaging.Format{imaging.JPEG}
	}
	return []imaging.Format{imaging.JPEG, imaging.WebP}
}

func formatList(fs []imaging.Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}

// thumbRows reads a photo and its thumbnail rows, sorted by size then format.
func (s *services) thumbRows(t *testing.T, id uuid.UUID) (store.Photo, []store.Thumbnail) {
	t.Helper()
	p, rows, err := s.store.Photo(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(rows, func(a, b store.Thumbnail) int {
		if a.Size != b.Size {
			return a.Size - b.Size
		}
		return strings.Compare(a.Format, b.Format)
	})
	return p, rows
}

// waitRows waits until every photo of ids is completed with n thumbnail rows.
func (s *services) waitRows(t *testing.T, ids []uuid.UUID, n int) {
	t.Helper()
	testkit.EventuallyWithin(t, batchTimeout, fmt.Sprintf("every photo completed with %d thumbnail rows", n), func() bool {
		for _, id := range ids {
			p, rows, err := s.store.Photo(context.Background(), id)
			if err != nil || p.Status != store.StatusCompleted || len(rows) != n {
				return false
			}
		}
		return true
	})
}

// checkStoredFile reads the file a row names and checks that it is in the row's format and of
// the row's size, and fits the row's box.
func (s *services) checkStoredFile(t *testing.T, r store.Thumbnail) {
	t.Helper()
	data := s.readStored(t, r.URL)
	var (
		img image.Image
		err error
	)
	switch r.Format {
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(data))
	case "webp":
		if !bytes.HasPrefix(data, []byte("RIFF")) || string(data[8:12]) != "WEBP" {
			t.Fatalf("%s: recorded as webp, but not a WebP file", r.URL)
		}
		img, err = webp.Decode(bytes.NewReader(data))
	default:
		t.Fatalf("%s: format %q", r.URL, r.Format)
	}
	if err != nil {
		t.Fatalf("%s (%s): %v", r.URL, r.Format, err)
	}
	if got := img.Bounds().Size(); got != image.Pt(r.Width, r.Height) {
		t.Errorf("%s decodes to %v, its row says %dx%d", r.URL, got, r.Width, r.Height)
	}
	if max(r.Width, r.Height) > r.Size {
		t.Errorf("%s: %dx%d does not fit its box %d", r.URL, r.Width, r.Height, r.Size)
	}
}

// keyOf is the file name a row's url ends with.
func keyOf(url string) string { return url[strings.LastIndex(url, "/")+1:] }

// A batch made with three sizes, the primary not the smallest, in two formats: every photo
// gets a row per size and format, the first box in JPEG as <uuid>.jpg and the others as
// <uuid>-<box>.<ext>, each file decoding in its format to the size its row records; boxes the
// photo is smaller than share one file; the ThumbHash is recorded.
func TestSetOfSizesAndFormats(t *testing.T) {
	t.Parallel()
	formats := setFormats()
	boxes := []int{320, 160, 640}
	h := startDaemon(t, func(c *daemon.Config) { c.Imaging.Sizes, c.Imaging.Formats = boxes, formats })
	photos := map[string]image.Point{ // as shown, after EXIF orientation
		"camera-1600x1200.jpg":       {1600, 1200},
		"orientation/Portrait_6.jpg": {400, 600},
		"small-canon40d.jpg":         {100, 68},
	}
	ids := map[uuid.UUID]image.Point{}
	var all []uuid.UUID
	for name, size := range photos {
		id := h.addPhoto(t, h.photoURL(name)).UUID
		ids[id] = size
		all = append(all, id)
	}
	h.mustProcess(t, all)
	h.waitRows(t, all, len(boxes)*len(formats))

	named := regexp.MustCompile(`^[0-9a-f-]{36}(\.jpg|-(160|320|640)\.(jpg|webp))$`)
	for id, src := range ids {
		p, rows := h.thumbRows(t, id)
		if len(p.ThumbHash) == 0 || p.Attempts != 1 {
			t.Errorf("%s: ThumbHash %v after %d attempts; want one, after one", id, p.ThumbHash, p.Attempts)
		}
		files := map[string][]int{} // boxes by file
		for _, r := range rows {
			key := keyOf(r.URL)
			if !named.MatchString(key) || !strings.HasPrefix(key, id.String()) {
				t.Errorf("%s: %d %s stored as %q", id, r.Size, r.Format, key)
			}
			// The first box in JPEG is <uuid>.jpg, which the boxes sharing its picture name too.
			primary := rows[slices.IndexFunc(rows, func(r store.Thumbnail) bool { return r.Size == 320 && r.Format == "jpeg" })]
			samePicture := r.Format == "jpeg" && r.Width == primary.Width && r.Height == primary.Height
			if (key == id.String()+".jpg") != samePicture {
				t.Errorf("%s: %d %s (%dx%d) at %s: <uuid>.jpg is the first box in JPEG, %dx%d", id, r.Size, r.Format, r.Width, r.Height, key, primary.Width, primary.Height)
			}
			if want := min(r.Size, max(src.X, src.Y)); max(r.Width, r.Height) != want {
				t.Errorf("%s: %d %s is %dx%d, want %d on its long side", id, r.Size, r.Format, r.Width, r.Height, want)
			}
			h.checkStoredFile(t, r)
			files[key] = append(files[key], r.Size)
		}
		// One file per distinct picture: the 100x68 photo has one per format for all three
		// boxes, the 400x600 one shares 640 with nothing (it is its own size there).
		wantFiles := map[image.Point]int{{1600, 1200}: 3, {400, 600}: 3, {100, 68}: 1}[src] * len(formats)
		if len(files) != wantFiles {
			t.Errorf("%s (%v): files %v, want %d", id, src, files, wantFiles)
		}
	}
	if temp, urls := h.stored(t); len(temp) != 0 || len(urls) != (3+3+1)*len(formats) {
		t.Errorf("thumbnail directory holds %v and temporary %v; want %d files", urls, temp, 7*len(formats))
	}
	for id := range ids {
		h.checkServedSet(t, id, formats)
	}
}

// checkServedSet asks the public thumbnail route for each size and format of a photo the
// daemon made, as browsers ask: the bytes served are the stored file's, in the format the
// Accept header or ?format= chose, with Vary: Accept whenever the header decided.
func (s *harness) checkServedSet(t *testing.T, id uuid.UUID, formats []imaging.Format) {
	t.Helper()
	_, rows := s.thumbRows(t, id)
	stored := map[string][]byte{} // "size format" → bytes
	for _, r := range rows {
		stored[fmt.Sprint(r.Size, " ", r.Format)] = s.readStored(t, r.URL)
	}
	best := string(formats[len(formats)-1]) // webp where this build makes it
	base := "http://" + s.addrs.HTTP + "/photos/" + id.String() + "/thumbnail"
	for _, c := range []struct {
		query, accept, want string
		vary                bool
	}{
		{"", "image/avif,image/webp,image/apng,image/*,*/*;q=0.8", "320 " + best, len(formats) > 1}, // Chrome
		{"?size=640", "image/webp,*/*", "640 " + best, len(formats) > 1},
		{"?size=160", "image/jpeg", "160 jpeg", len(formats) > 1},
		{"?size=640&format=jpeg", "image/webp", "640 jpeg", false},
		{"?size=160", "", "160 jpeg", len(formats) > 1},
	} {
		h := http.Header{}
		if c.accept != "" {
			h.Set("Accept", c.accept)
		}
		resp, body := httpGet(t, s.http, base+c.query, h)
		format := strings.Fields(c.want)[1]
		if resp.Status != 200 || !bytes.Equal(body, stored[c.want]) || resp.Header.Get("Content-Type") != "image/"+format {
			t.Errorf("%s: GET thumbnail%s Accept %q = %d %s, %d bytes; want the stored %s (%d bytes)", id, c.query, c.accept,
				resp.Status, resp.Header.Get("Content-Type"), len(body), c.want, len(stored[c.want]))
		}
		if vary := slices.Contains(resp.Header.Values("Vary"), "Accept"); vary != c.vary {
			t.Errorf("%s: GET thumbnail%s: Vary %q, want Accept in it: %v", id, c.query, resp.Header.Values("Vary"), c.vary)
		}
	}
}

// Adding a size to a running service: photoproc backfill queues the completed photos that
// lack it, and each gets only what it lacks. Its rows and files stay as they were, its
// primary stays <uuid>.jpg, and the backfill starts a round of attempts of its own.
func TestBackfillAfterASizeIsAdded(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	before := startDaemonOn(t, svc, nil) // the seed's one 320 JPEG
	names := []string{"camera-1600x1200.jpg", "orientation/Landscape_1.jpg", "small-canon40d.jpg"}
	var ids []uuid.UUID
	for _, n := range names {
		ids = append(ids, svc.addPhoto(t, svc.photoURL(n)).UUID)
	}
	before.mustProcess(t, ids)
	svc.waitRows(t, ids, 1)
	old := map[uuid.UUID]store.Thumbnail{}
	oldBytes := map[uuid.UUID][]byte{}
	for _, id := range ids {
		_, rows := svc.thumbRows(t, id)
		old[id], oldBytes[id] = rows[0], svc.readStored(t, rows[0].URL)
	}
	if err := before.stop(); err != nil {
		t.Fatal(err)
	}

	formats := setFormats()
	settings := []string{"PHOTOPROC_THUMBNAIL_SIZES=320,640", "PHOTOPROC_THUMBNAIL_FORMATS=" + formatList(formats)}
	startDaemonOn(t, svc, func(c *daemon.Config) { c.Imaging.Sizes, c.Imaging.Formats = []int{320, 640}, formats })
	backfill := startChild(t, svc.childEnv(append(settings, "PHOTOPROC_LOG_LEVEL=warn")...), "backfill", "--batch", "2")
	backfill.wait(t)
	if code := backfill.cmd.ProcessState.ExitCode(); code != 0 || backfill.logs.Count("completed photos seen: 3, queued: 3, skipped: 0") != 1 {
		t.Fatalf("photoproc backfill exited %d:\n%s", code, backfill.logs)
	}
	svc.waitRows(t, ids, 2*len(formats))

	for _, id := range ids {
		p, rows := svc.thumbRows(t, id)
		if p.Attempts != 1 || len(p.ThumbHash) == 0 {
			t.Errorf("%s: %d attempts, ThumbHash %v; want the backfill's first attempt, a ThumbHash", id, p.Attempts, p.ThumbHash)
		}
		for _, r := range rows {
			if r.Size == 320 && r.Format == "jpeg" {
				o := old[id]
				if r.UUID != o.UUID || r.URL != o.URL || !r.CreatedAt.Equal(o.CreatedAt) || r.Width != o.Width || r.Height != o.Height {
					t.Errorf("%s: the 320 JPEG row changed from %+v to %+v", id, o, r)
				}
				if !bytes.Equal(svc.readStored(t, r.URL), oldBytes[id]) {
					t.Errorf("%s: %s written again", id, r.URL)
				}
				continue
			}
			if !strings.HasPrefix(keyOf(r.URL), id.String()+"-") {
				t.Errorf("%s: new %d %s row at %s: a photo with a primary gets no second <uuid>.jpg", id, r.Size, r.Format, r.URL)
			}
			svc.checkStoredFile(t, r)
		}
	}
	// Nothing left to make: a second run queues nothing.
	again := startChild(t, svc.childEnv(append(settings, "PHOTOPROC_LOG_LEVEL=warn")...), "backfill")
	again.wait(t)
	if again.logs.Count("completed photos seen: 3, queued: 0, skipped: 0") != 1 {
		t.Errorf("second backfill:\n%s", again.logs)
	}
}

// The pure-Go build has no WebP encoder: asked for webp, it refuses to start, naming the
// variable and the build, before it touches the database or the broker.
func TestPureGoRefusesWebP(t *testing.T) {
	t.Parallel()
	bin := buildPureGo(t)
	c := startBinary(t, bin, "", []string{"PHOTOPROC_THUMBNAIL_FORMATS=jpeg,webp",
		"PG_CONNECTION_URI=postgres://nobody@127.0.0.1:1/none", "AMQP_URI=amqp://nobody@127.0.0.1:1/"}, "serve")
	c.wait(t)
	out := c.logs.String()
	if code := c.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(out, "PHOTOPROC_THUMBNAIL_FORMATS=jpeg,webp") ||
		!strings.Contains(out, "no WebP encoder (built without cgo)") {
		t.Fatalf("pure-Go serve with webp exited %d:\n%s", code, out)
	}
}

// buildPureGo builds photoproc without cgo, as the pure-Go test run does, whatever this run is.
func buildPureGo(t *testing.T) string {
	t.Helper()
	path := t.TempDir() + "/photoproc-purego"
	cmd := exec.Command("go", "build", "-o", path, "github.com/photoproc/photoproc/cmd/photoproc")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build pure-Go photoproc: %v\n%s", err, out)
	}
	t.Logf("pure-Go build took %s", time.Since(start).Round(time.Second))
	return path
}
