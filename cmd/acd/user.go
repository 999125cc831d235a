package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/acdserver/acd/directory"
	acdserver "github.com/acdserver/acd/server"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

const userUsage = "usage: acd user add -role administrator|supervisor|agent [-name NAME] [-queues Q1,Q2] [-config FILE] [-data DIR] ID"

// userCmd runs `acd user add`: it creates a user in the data directory
// of a stopped server, the password read from the terminal without echo,
// or as one line of standard input. A running server holds the data
// directory; users are then created through its API.
func userCmd(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, userUsage)
		return 2
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "administrator (or admin), supervisor or agent")
	name := fs.String("name", "", "the name shown for the user (default: the agent's name, or the id)")
	queues := fs.String("queues", "", "a supervisor's queues, comma-separated")
	path := fs.String("config", "", "configuration file (for data_dir, queues and agents)")
	dataDir := fs.String("data", "", "data directory (default: the configuration's data_dir)")
	// The id may come before the flags, as the usage line shows it, or after.
	var id string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		id, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
	}
	if id == "" || *role == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, userUsage)
		return 2
	}
	r, err := directory.ParseRole(*role)
	if err != nil {
		fmt.Fprintln(stderr, "acd user add:", err)
		return 2
	}
	prog, err := acdserver.LoadProgram(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	dir := *dataDir
	if dir == "" {
		dir = prog.Config().Server.DataDir
	}
	password, err := readPassword(stdin, stderr, id)
	if err != nil {
		fmt.Fprintln(stderr, "acd user add:", err)
		return 1
	}
	if err := directory.CheckPassword(password); err != nil {
		fmt.Fprintf(stderr, "acd user add: refusing the password: %v\n", err)
		return 1
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fmt.Fprintln(stderr, "acd user add: data directory:", err)
		return 1
	}
	lock, err := store.LockDir(dir)
	if errors.Is(err, store.ErrDirInUse) {
		fmt.Fprintf(stderr, "acd user add: %v\nWhile the server runs, an administrator creates users with POST /api/v1/users.\n", err)
		return 1
	} else if err != nil {
		fmt.Fprintln(stderr, "acd user add:", err)
		return 1
	}
	defer lock.Unlock()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	events, err := store.Open(filepath.Join(dir, "acd.db"), log)
	if err != nil {
		fmt.Fprintln(stderr, "acd user add:", err)
		return 1
	}
	defer events.Close()
	users, err := store.OpenUsers(events)
	if err != nil {
		fmt.Fprintln(stderr, "acd user add:", err)
		return 1
	}
	var qs []string
	for q := range strings.SplitSeq(*queues, ",") {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
	}
	svc := acdserver.NewService(prog.Config(), users, events, nil, log, service.Catalog{})
	u, err := svc.AddUser(ctx, service.NewUser{ID: id, Name: *name, Role: string(r), Password: password, Queues: qs})
	if err != nil {
		fmt.Fprintln(stderr, "acd user add:", err)
		return 1
	}
	if err := events.Flush(ctx); err != nil {
		fmt.Fprintln(stderr, "acd user add: recording the audit event:", err)
		return 1
	}
	fmt.Fprintf(stdout, "user %s (%s) created in %s\n", u.ID, u.Role, dir)
	return 0
}

// readPassword asks twice on a terminal, without echo; otherwise it
// takes the first line of standard input, for scripts.
func readPassword(stdin *os.File, prompt io.Writer, id string) (string, error) {
	fd := int(stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprintf(prompt, "Password for %s: ", id)
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		fmt.Fprint(prompt, "Again: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
