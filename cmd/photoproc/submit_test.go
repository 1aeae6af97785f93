package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestProgressOffTerminal: in a log or a pipe, progress is a line every few seconds and one at
// the end, never a carriage-return update per page.
func TestProgressOffTerminal(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	now := time.Unix(0, 0)
	p := newProgress(&out, func() time.Time { return now })
	for page := 1; page <= 10; page++ {
		now = now.Add(time.Second) // one page a second: a line every 5 pages
		p.update(summary{of: "pending photos", seen: 100 * page, queued: 100 * page})
	}
	p.done(summary{of: "pending photos", seen: 1000, queued: 1000})
	want := "queued 500 of 500 pending photos seen (0 skipped)\n" +
		"queued 1000 of 1000 pending photos seen (0 skipped)\n" +
		"queued 1000 of 1000 pending photos seen (0 skipped)\n"
	if got := out.String(); got != want {
		t.Fatalf("progress wrote\n%q\nwant\n%q", got, want)
	}
}

// TestProgressOnTerminal: on a terminal, one line updated in place after every page.
func TestProgressOnTerminal(t *testing.T) {
	t.Parallel()
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0) // a pseudo-terminal, as a shell gives
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	p := newProgress(tty, time.Now)
	if !p.tty {
		t.Fatal("a pseudo-terminal is not taken for a terminal")
	}
	var out strings.Builder
	p.w = &out
	p.update(summary{of: "pending photos", seen: 100, queued: 100})
	p.update(summary{of: "pending photos", seen: 200, queued: 150, skipped: 50})
	p.done(summary{of: "pending photos", seen: 200, queued: 150, skipped: 50})
	want := "\rqueued 100 of 100 pending photos seen (0 skipped)" +
		"\rqueued 150 of 200 pending photos seen (50 skipped)\n"
	if got := out.String(); got != want {
		t.Fatalf("progress wrote %q, want %q", got, want)
	}
}
