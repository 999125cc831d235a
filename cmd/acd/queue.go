package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/acdserver/acd/event"
	acdserver "github.com/acdserver/acd/server"
	"github.com/acdserver/acd/store"
)

// queueShow prints a queue's waiting list from the data directory of a
// running (or stopped) server: callers on the line since its last start,
// and callback requests, tagged, each at the caller's place (R-CB-7).
func queueShow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "show" {
		fmt.Fprintln(stderr, "usage: acd queue show QUEUE [-config FILE] [-data DIR]")
		return 2
	}
	fs := flag.NewFlagSet("queue show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (for data_dir)")
	dataDir := fs.String("data", "", "data directory (default: the configuration's data_dir)")
	queue := ""
	rest := args[1:]
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		queue, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if queue == "" && fs.NArg() > 0 {
		queue = fs.Arg(0)
	}
	if queue == "" {
		fmt.Fprintln(stderr, "acd queue show: name the queue")
		return 2
	}
	dir := *dataDir
	if dir == "" {
		prog, err := acdserver.LoadProgram(*path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if _, ok := prog.Config().Queues[queue]; !ok {
			fmt.Fprintf(stderr, "acd queue show: no queue %q in the configuration\n", queue)
			return 1
		}
		dir = prog.Config().Server.DataDir
	}
	dbPath := filepath.Join(dir, "acd.db")
	if _, err := os.Stat(dbPath); err != nil {
		fmt.Fprintf(stderr, "acd queue show: no data in %s: %v\n", dir, err)
		return 1
	}
	events, err := store.Open(dbPath, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer events.Close()
	callbacks, err := store.OpenCallbacks(events)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	rows, err := waitingList(ctx, events, callbacks, queue)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "#\tWAITING SINCE\tCALLER\tTAG\n")
	for i, r := range rows {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", i+1, r.joined.Local().Format("2006-01-02 15:04:05"), r.caller, r.tag)
	}
	_ = w.Flush()
	return 0
}

type waitingRow struct {
	joined      time.Time
	caller, tag string
}

// waitingList rebuilds the list from the event log and the open callback
// requests.
func waitingList(ctx context.Context, events *store.Log, callbacks *store.Callbacks, queue string) ([]waitingRow, error) {
	evs, err := events.Events(ctx, store.Filter{Queue: queue})
	if err != nil {
		return nil, err
	}
	starts, err := events.Page(ctx, store.Query{TypePrefix: event.ServerStarted{}.Kind()})
	if err != nil {
		return nil, err
	}
	var lastStart int64
	if len(starts) > 0 {
		lastStart = starts[len(starts)-1].Seq
	}
	live := map[string]waitingRow{}
	for _, e := range evs {
		if e.Seq < lastStart {
			continue
		}
		switch e.Type {
		case "caller.joined":
			row := waitingRow{joined: e.At}
			if p, err := event.Decode(e); err == nil {
				row.caller = p.(event.CallerJoined).Caller
			}
			live[e.CallID] = row
		case "caller.abandoned", "caller.timeout", "caller.exit", "caller.server_stopped", "agent.answered", "callback.requested":
			delete(live, e.CallID)
		}
	}
	var rows []waitingRow
	for _, r := range live {
		rows = append(rows, r)
	}
	open, err := callbacks.Open(ctx, queue)
	if err != nil {
		return nil, err
	}
	for _, r := range open {
		tag := "callback"
		if r.Status == store.CallbackDialing {
			tag = "callback (dialling)"
		}
		if r.Attempts > 0 {
			tag += fmt.Sprintf(", %d attempt(s)", r.Attempts)
		}
		rows = append(rows, waitingRow{joined: r.Joined, caller: r.Number, tag: tag})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].joined.Before(rows[j].joined) })
	return rows, nil
}
