package daemon

import (
	"io"
	"log/slog"
	"os"
)

// newLogger logs as text on a terminal and as JSON elsewhere (containers, systemd's journal
// shippers), unless format says which.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level)) // validated in config; unknown stays info
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" || (format == "auto" && !isTerminal(w)) {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func nopLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
