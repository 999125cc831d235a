package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/acdserver/acd/dialplan"
	acdserver "github.com/acdserver/acd/server"
)

// simulate prints the path a call would take through the dial plans,
// node by node, without any SIP.
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		path   = fs.String("config", "", "configuration file (default: the embedded one)")
		number = fs.String("number", "", "the dialled number")
		digits = fs.String("digits", "", "keys the caller presses, in order, when asked")
		at     = fs.String("at", "", "when the call happens: 2026-11-24T10:00 (local time) or RFC 3339; default now")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *number == "" {
		fmt.Fprintln(stderr, "acd simulate: -number is required")
		return 2
	}
	when := time.Now()
	if *at != "" {
		var err error
		var zoned bool
		if when, zoned, err = parseWhen(*at); err != nil {
			fmt.Fprintf(stderr, "acd simulate: -at %q: want 2026-11-24T10:00 (local time), 2026-11-24T10:00-05:00 or RFC 3339\n", *at)
			return 2
		}
		if !zoned {
			// Schedules have zones of their own: say which moment this is.
			fmt.Fprintf(stderr, "acd simulate: -at %s has no offset: read in this machine's time zone, as %s\n",
				*at, when.Format(time.RFC3339))
		}
	}
	prog, err := acdserver.LoadProgram(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	st := &dialplan.State{
		Sounds: prog.Sounds(),
		// Warnings (a loop in the plan, say) still reach the administrator.
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Trace: func(s dialplan.Step) {
			next := "-> " + s.Next
			if s.Next == "" {
				next = "(call ends)"
			}
			fmt.Fprintf(w, "%s/%s\t%s\t%s\t%s\n", s.Plan, s.Node, s.Type, s.Detail, next)
		},
	}
	err = dialplan.Simulate(ctx, prog.Plan(), *number, *digits, when, st)
	_ = w.Flush()
	if err != nil {
		fmt.Fprintln(stderr, "acd simulate:", err)
		return 1
	}
	return 0
}

// parseWhen reads a moment with or without seconds and zone offset; without
// an offset (zoned false) it is local time.
func parseWhen(s string) (t time.Time, zoned bool, err error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, nil
		}
	}
	t, err = time.ParseInLocation("2006-01-02T15:04", s, time.Local)
	return t, false, err
}
