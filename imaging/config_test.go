package imaging

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; none means valid
	}{
		{name: "default", edit: func(*Config) {}},
		{name: "smallest", edit: func(c *Config) {
			*c = Config{Size: 1, Formats: []Format{JPEG}, Quality: 1, WebPQuality: 1, AVIFQuality: 1, MaxPixels: 1, DecodeTimeout: 1}
		}},
		{name: "largest", edit: func(c *Config) { c.Size, c.Quality, c.WebPQuality, c.AVIFQuality = MaxSize, 100, 100, 100 }},
		{name: "zero size", edit: func(c *Config) { c.Size = 0 }, want: []string{"thumbnail size 0"}},
		{name: "huge size", edit: func(c *Config) { c.Size = MaxSize + 1 }, want: []string{"thumbnail size"}},
		{name: "most sizes", edit: func(c *Config) { c.Sizes = []int{1, 2, 3, 4, 5, 6, 7, 8} }},
		{name: "three sizes", edit: func(c *Config) { c.Sizes = []int{640, 320, 1280} }},
		{name: "too many sizes", edit: func(c *Config) { c.Sizes = []int{1, 2, 3, 4, 5, 6, 7, 8, 9} }, want: []string{"thumbnail sizes [1 2 3 4 5 6 7 8 9]: at most 8 boxes"}},
		{name: "a size of 0", edit: func(c *Config) { c.Sizes = []int{320, 0} }, want: []string{"thumbnail sizes [320 0]: box 0: must be 1..16384 pixels"}},
		{name: "a huge size", edit: func(c *Config) { c.Sizes = []int{320, MaxSize + 1} }, want: []string{"box 16385: must be 1..16384 pixels"}},
		{name: "size twice", edit: func(c *Config) { c.Sizes = []int{320, 640, 320} }, want: []string{"thumbnail sizes [320 640 320]: box 320 given twice"}},
		{name: "unknown format", edit: func(c *Config) { c.Formats = []Format{JPEG, "png"} }, want: []string{`thumbnail formats [jpeg png]: "png": want jpeg, webp or avif`}},
		{name: "format twice", edit: func(c *Config) { c.Formats = []Format{JPEG, JPEG} }, want: []string{"thumbnail formats [jpeg jpeg]: jpeg given twice"}},
		{name: "no jpeg", edit: func(c *Config) { c.Formats = nil }, want: []string{"thumbnail formats []: must include jpeg"}},
		{name: "quality 0", edit: func(c *Config) { c.Quality = 0 }, want: []string{"JPEG quality 0"}},
		{name: "quality 101", edit: func(c *Config) { c.Quality = 101 }, want: []string{"JPEG quality 101"}},
		{name: "WebP quality 0", edit: func(c *Config) { c.WebPQuality = 0 }, want: []string{"WebP quality 0: must be 1..100"}},
		{name: "AVIF quality 101", edit: func(c *Config) { c.AVIFQuality = 101 }, want: []string{"AVIF quality 101: must be 1..100"}},
		{name: "no pixels", edit: func(c *Config) { c.MaxPixels = 0 }, want: []string{"max pixels 0"}},
		{name: "no decode time", edit: func(c *Config) { c.DecodeTimeout = 0 }, want: []string{"decode timeout 0s"}},
		{name: "all wrong at once", edit: func(c *Config) { *c = Config{} },
			want: []string{"thumbnail size 0", "must include jpeg", "JPEG quality", "WebP quality", "AVIF quality", "max pixels", "decode timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			_, newErr := New(cfg)
			if len(tc.want) == 0 {
				if err != nil || newErr != nil {
					t.Fatalf("Validate() = %v, New() = %v; want both nil", err, newErr)
				}
				return
			}
			if err == nil || newErr == nil {
				t.Fatalf("Validate() = %v, New() = %v; want errors", err, newErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestDefaultConfigMatchesSpec(t *testing.T) {
	t.Parallel()
	want := Config{Size: 320, Formats: []Format{JPEG}, Quality: 90, WebPQuality: DefaultWebPQuality,
		AVIFQuality: DefaultAVIFQuality, MaxPixels: 50_000_000, DecodeTimeout: time.Minute}
	if got := DefaultConfig(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(got.Boxes(), []int{320}) {
		t.Fatalf("DefaultConfig() = %+v, want %+v (docs/contract.md defaults, and a minute to decode)", got, want)
	}
}
