package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/photoproc/photoproc/api"
	"github.com/photoproc/photoproc/daemon"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
	"github.com/photoproc/photoproc/thumbstore"
)

// The public thumbnail route of a whole daemon takes its default box from
// PHOTOPROC_THUMBNAIL_SIZES, which only the daemon's wiring can pass it: a photo made when 320
// was the only box (its primary, <uuid>.jpg) and later given a 640, served by a daemon whose
// first box is now 640, answers the 640 without ?size=, and the 320 primary only when asked.
func TestThumbnailRouteDefaultBoxFromSettings(t *testing.T) {
	t.Parallel()
	h := startDaemon(t, func(c *daemon.Config) { c.Imaging.Sizes = []int{640, 320} })
	ctx := context.Background()
	p := storetest.Photo(ctx, t, h.db, &storetest.PhotoOpts{Status: store.StatusCompleted})
	files := map[int]string{}
	for _, box := range []int{320, 640} {
		key := thumbstore.Key(p.UUID, box, "jpeg", box == 320)
		data := "the " + key
		if err := os.WriteFile(filepath.Join(h.thumbs, key), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		storetest.Thumbnail(ctx, t, h.db, store.Thumbnail{PhotoUUID: p.UUID, Size: box, Width: box, Height: box / 2, URL: key})
		files[box] = data
	}

	base := "http://" + h.addrs.HTTP + "/photos/" + p.UUID.String()
	accept := http.Header{"Accept": {"image/avif,image/webp,*/*"}}
	for query, want := range map[string]string{"": files[640], "?size=320": files[320], "?size=640&format=jpeg": files[640]} {
		resp, body := httpGet(t, h.http, base+"/thumbnail"+query, accept)
		if resp.Status != 200 || string(body) != want || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("GET thumbnail%s = %d %q %q, want %q", query, resp.Status, resp.Header.Get("Content-Type"), body, want)
		}
	}
	resp, body := httpGet(t, h.http, base+"/thumbnail?size=1280", nil)
	if resp.Status != 404 || !strings.Contains(string(body), "stored: 320 jpeg, 640 jpeg.") {
		t.Errorf("GET thumbnail?size=1280 = %d %s, want 404 naming 320 and 640", resp.Status, body)
	}

	resp, body = httpGet(t, h.http, base, nil)
	var d api.PhotoDetail
	if err := json.Unmarshal(body, &d); resp.Status != 200 || err != nil || len(d.Thumbnails) != 2 ||
		!d.Thumbnails[0].Primary || d.Thumbnails[1].Primary {
		t.Fatalf("GET photo = %d %s (%v), want the 320 primary and the 640", resp.Status, body, err)
	}
}
