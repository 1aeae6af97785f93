package thumbstore_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/thumbstore"
)

func TestKey(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("0b7c4a5e-34d2-4f0e-9d62-3c1a6b3e9f10")
	for _, tc := range []struct {
		box     int
		format  string
		primary bool
		want    string
	}{
		{320, "jpeg", true, id.String() + ".jpg"},
		{640, "jpeg", false, id.String() + "-640.jpg"},
		{320, "webp", false, id.String() + "-320.webp"},
		{1280, "avif", false, id.String() + "-1280.avif"},
		// Only a JPEG can be the seed's "<uuid>.jpg".
		{320, "webp", true, id.String() + "-320.webp"},
	} {
		if got := thumbstore.Key(id, tc.box, tc.format, tc.primary); got != tc.want {
			t.Errorf("Key(%d, %s, primary %t) = %q, want %q", tc.box, tc.format, tc.primary, got, tc.want)
		}
	}
}

func TestMediaType(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	for format, want := range map[string]string{"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"} {
		for _, primary := range []bool{true, false} {
			if got := thumbstore.MediaType(thumbstore.Key(id, 320, format, primary)); got != want {
				t.Errorf("MediaType of a %s (primary %t) = %q, want %q", format, primary, got, want)
			}
		}
	}
	if got := thumbstore.MediaType(".photoproc-probe/abc"); got != "image/jpeg" {
		t.Errorf("MediaType of a name without extension = %q, want image/jpeg", got)
	}
}
