package daemon

import (
	"io"
	"log/slog"
	"os"
)

// NewLogger logs at level to w, as text on a terminal and as JSON elsewhere (containers,
// systemd's journal shippers), unless format ("auto", "text" or "json") says which.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level)) // validated in config; unknown stays info
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" || (format == "auto" && !IsTerminal(w)) {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// IsTerminal reports whether w is a terminal (a character device), where output is read by a
// person as it comes rather than stored.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
