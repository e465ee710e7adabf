package logging

import (
	"fmt"
	"io"
	"log/slog"
)

// New returns a logger writing to w at level ("debug", "info", "warn" or
// "error"), as JSON lines when json is set and as text otherwise. An
// unknown level is an error naming the --log-level flag.
func New(w io.Writer, level string, json bool) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// discard is the logger of a component given none.
var discard = slog.New(slog.DiscardHandler)

// OrDiscard returns l, or a logger that discards everything when l is
// nil: a component built without a logger stays quiet, and never writes
// to the process's default logger behind its owner's back.
func OrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return discard
	}
	return l
}
