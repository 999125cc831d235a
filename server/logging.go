package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/acdserver/acd/dialplan"
)

// newLogger is the server's log: slog's text handler (key=value, for
// people and grep) or its JSON handler (one object a line, for a log
// pipeline), at level.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// maskVars keeps what callers typed into collect nodes out of the lines
// of a logger that logs a dial plan's variables as "vars" (the
// distributor does, when a caller joins a queue, masking only what looks
// like a card number). logsDigits says which variables the dial plans
// let the log show.
func maskVars(log *slog.Logger, logsDigits func(variable string) bool) *slog.Logger {
	return slog.New(varsMask{Handler: log.Handler(), logsDigits: logsDigits})
}

type varsMask struct {
	slog.Handler
	logsDigits func(string) bool
}

func (h varsMask) Handle(ctx context.Context, r slog.Record) error {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == "vars"
		return !found
	})
	if !found {
		return h.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.mask(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h varsMask) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.mask(a)
	}
	return varsMask{Handler: h.Handler.WithAttrs(masked), logsDigits: h.logsDigits}
}

func (h varsMask) WithGroup(name string) slog.Handler {
	return varsMask{Handler: h.Handler.WithGroup(name), logsDigits: h.logsDigits}
}

func (h varsMask) mask(a slog.Attr) slog.Attr {
	if a.Key != "vars" {
		return a
	}
	vars, ok := a.Value.Resolve().Any().(map[string]string)
	if !ok {
		return a
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[k] = dialplan.LoggedValue(v, h.logsDigits(k))
	}
	return slog.Any(a.Key, out)
}
