package daemon

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// TestLogFormatChoice: auto is JSON on a pipe or file (containers, the journal) and text on a
// terminal; text and json force one or the other.
func TestLogFormatChoice(t *testing.T) {
	t.Parallel()
	r, pipe, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); pipe.Close() })
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0) // a pseudo-terminal, as a shell gives
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })

	for _, c := range []struct {
		name   string
		w      io.Writer
		format string
		json   bool
	}{
		{"auto on a pipe", pipe, "auto", true},
		{"auto on a terminal", tty, "auto", false},
		{"auto on a buffer", &strings.Builder{}, "auto", true},
		{"text on a pipe", pipe, "text", false},
		{"json on a terminal", tty, "json", true},
	} {
		_, isJSON := NewLogger(c.w, c.format, "info").Handler().(*slog.JSONHandler)
		if isJSON != c.json {
			t.Errorf("%s: JSON %v, want %v", c.name, isJSON, c.json)
		}
	}
}
