// Command acd is the contact-centre server: `acd` or `acd serve` runs it,
// `acd check` validates a configuration, `acd simulate` shows the path a
// call takes through the dial plans, `acd ctl` inspects and steers a
// running server, `acd version` prints the version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	acdserver "github.com/acdserver/acd/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "-h" || a == "-help" || a == "--help":
			cmd = "help"
		case a == "-version" || a == "--version":
			cmd = "version"
		case len(a) > 0 && a[0] != '-':
			cmd, args = a, args[1:]
		}
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "check":
		return check(args, stdout, stderr)
	case "queue":
		return queueShow(ctx, args, stdout, stderr)
	case "ctl":
		return ctlCmd(ctx, args, stdout, stderr)
	case "simulate":
		return simulate(ctx, args, stdout, stderr)
	case "user":
		return userCmd(ctx, args, os.Stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "acd", version)
		return 0
	case "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "acd: unknown command %q\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  acd [serve] [-config FILE] [-sip ADDR] [-http ADDR] [-data DIR] [-rtp-ports LOW-HIGH] [-log-level LEVEL] [-log-format text|json]
  acd check -config FILE [-data DIR]
  acd simulate [-config FILE] -number N [-digits KEYS] [-at 2026-11-24T10:00]
  acd queue show QUEUE [-config FILE] [-data DIR]
  acd ctl [-config FILE] [-http ADDR] [-data DIR] queues | queue show NAME | agents | calls | sip trace on [PEER...] | sip trace off
  acd user add -role ROLE [-name NAME] [-queues Q1,Q2] [-config FILE] [-data DIR] ID
  acd version
`)
}

// check validates a configuration: silent and 0 when valid, else every
// problem as FILE:LINE: message and 1.
func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file to check (default: the embedded one)")
	data := fs.String("data", "", "data directory whose recorded messages dial plans may name (default: the configuration's data_dir)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if _, err := acdserver.LoadProgramData(*path, *data); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// exitCode is the exit status for an error out of serve's set-up.
func exitCode(err error) int {
	var ee *acdserver.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}
