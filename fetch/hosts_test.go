package fetch

import (
	"context"
	"testing"
)

func TestHostListAllows(t *testing.T) {
	t.Parallel()
	list := newHostList([]string{"Photos.Example.com", "*.cdn.example.net.", "203.0.113.5", "2001:DB8:0::1"})
	tests := []struct {
		host string
		want bool
	}{
		{"photos.example.com", true},
		{"PHOTOS.EXAMPLE.COM", true},
		{"photos.example.com.", true},
		{"example.com", false},
		{"evil-photos.example.com", false},
		{"photos.example.com.evil.net", false},
		{"a.cdn.example.net", true},
		{"a.b.cdn.example.net", true},
		{"cdn.example.net", false}, // "*." needs a label before the domain
		{"xcdn.example.net", false},
		{"203.0.113.5", true},
		{"203.0.113.6", false},
		{"2001:db8::1", true},
		{"", false},
	}
	for _, tt := range tests {
		if got := list.allows(tt.host); got != tt.want {
			t.Errorf("allows(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	if !newHostList(nil).allows("anything.example") {
		t.Error("an empty list refuses a host")
	}
}

func TestFetchAllowedHosts(t *testing.T) {
	t.Parallel()
	srv := photoServer(t, []byte("photo"))
	cfg := privateConfig()
	cfg.AllowedHosts = []string{"localhost", "*.example.com"}
	f := newFetcherT(t, cfg)

	if got := fetchOK(t, f, "http://localhost:"+portOf(t, srv.URL)+"/p.jpg"); string(got) != "photo" {
		t.Errorf("body = %q", got)
	}
	for _, u := range []string{srv.URL + "/p.jpg", "http://example.com/p.jpg", "https://evil.net/x.example.com/p.jpg"} {
		_, err := f.Fetch(context.Background(), u)
		wantErrIs(t, err, ErrHostNotAllowed)
		if !Permanent(err) {
			t.Errorf("Permanent(%v) = false", err)
		}
	}
}
