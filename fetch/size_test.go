package fetch

import (
	"math"
	"strconv"
	"testing"
)

func TestParseBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1048576", 1 << 20, false},
		{"0", 0, false},
		{"50MB", 50 << 20, false},
		{"512KB", 512 << 10, false},
		{"1GB", 1 << 30, false},
		{"50mb", 50 << 20, false},
		{"50 MB", 50 << 20, false},
		{" 50MB ", 50 << 20, false},
		{"50MiB", 50 << 20, false},
		{"2KiB", 2048, false},
		{"3GiB", 3 << 30, false},
		{"100B", 100, false},
		{"100 bytes", 100, false},
		{"0050MB", 50 << 20, false},
		{"9223372036854775807", math.MaxInt64, false},
		{"8589934591GB", 8589934591 << 30, false},

		{"", 0, true},
		{"MB", 0, true},
		{" ", 0, true},
		{"-1", 0, true},
		{"-5MB", 0, true},
		{"+5MB", 0, true},
		{"1.5GB", 0, true},
		{"1e6", 0, true},
		{"0x10", 0, true},
		{"50TB", 0, true},
		{"50M", 0, true},
		{"50 XB", 0, true},
		{"50  MB", 0, true},
		{"5 0MB", 0, true},
		{"9223372036854775808", 0, true},
		{"8589934592GB", 0, true},
		{"99999999999999999999KB", 0, true},
		{"٥MB", 0, true}, // non-ASCII digit
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1000, "1000 bytes"},
		{1024, "1KB"},
		{50 << 20, "50MB"},
		{3 << 30, "3GB"},
		{1536 << 10, "1536KB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// ParseBytes takes operator input: it must never panic, never return a negative size, and
// agree with what formatBytes and strconv write.
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"50MB", "512KB", "1GB", "1048576", "0", "1.5GB", "-1", "50 mib", "9223372036854775807", "8589934592GB", "bytes"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseBytes(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("ParseBytes(%q) = %d with error %v", s, n, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseBytes(%q) = %d, negative", s, n)
		}
		for _, text := range []string{strconv.FormatInt(n, 10), formatBytes(n)} {
			if back, err := ParseBytes(text); err != nil || back != n {
				t.Fatalf("ParseBytes(%q) = %d; its form %q reads back as %d, %v", s, n, text, back, err)
			}
		}
	})
}
