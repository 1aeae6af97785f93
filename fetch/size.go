package fetch

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size units are binary, as in PHOTOPROC_MAX_DOWNLOAD_BYTES's default 50MB = 50<<20 bytes.
var sizeUnits = []struct {
	suffix string
	shift  uint
}{
	// Longer suffixes first, so "KiB" is not read as "B".
	{"kib", 10}, {"mib", 20}, {"gib", 30},
	{"kb", 10}, {"mb", 20}, {"gb", 30},
	{"bytes", 0}, {"b", 0},
}

// ParseBytes parses a size such as "50MB", "512KB", "1GB" or "1048576" (plain bytes).
//
// Units are binary: KB = 1024 bytes, MB = 1024 KB, GB = 1024 MB; KiB, MiB and GiB are accepted
// as the same, and B or "bytes" as bytes. Units ignore case and may follow a space ("50 MB"). The number
// is a whole, non-negative decimal; fractions ("1.5GB"), signs and other units are errors, as
// is a result above math.MaxInt64.
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	num, shift := t, uint(0)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			num, shift = strings.TrimSuffix(rest, " "), u.shift
			break
		}
	}
	if num == "" || strings.IndexFunc(num, notDigit) >= 0 {
		return 0, fmt.Errorf("size %q: want a whole number of bytes, optionally with KB, MB or GB", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64>>shift { // only digits are left, so only range can fail
		return 0, fmt.Errorf("size %q: larger than %d bytes", s, int64(math.MaxInt64))
	}
	return n << shift, nil
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// formatBytes writes n in the largest unit that divides it exactly, so that ParseBytes reads it
// back unchanged: 52428800 is "50MB", 1000 is "1000 bytes".
func formatBytes(n int64) string {
	for _, u := range []struct {
		name  string
		shift uint
	}{{"GB", 30}, {"MB", 20}, {"KB", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
