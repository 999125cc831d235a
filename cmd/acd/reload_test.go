package main

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestReloadAppliesQueuesAndAgents: a SIGHUP puts new queues and agents
// in force on the running server: a new agent's phone registers and is
// rung for a new queue's number, and an agent taken out of the file is
// logged out, while calls in progress go on.
func TestReloadAppliesQueuesAndAgents(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, agentsYAML)
	s := startAcd(t, "-config", path)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	old := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 50 * time.Millisecond})
	newcomer := testutil.NewPhone(t)
	if code, _ := newcomer.Register(ctx, s.sip, "1003", "secret-1003", 300); code == 200 {
		t.Fatal("an agent the configuration does not have registered")
	}

	next := strings.Replace(agentsYAML, `  "1002": {name: Bob, password: secret-1002, queues: [support, sales]}`,
		`  "1003": {name: Carol, password: secret-1003, queues: [billing]}`, 1)
	next = strings.Replace(next, `numbers: {"100": main, "200": sales}`, `numbers: {"100": main, "200": sales, "300": billing}`, 1)
	next = strings.Replace(next, "queues:\n", "queues:\n  billing: {strategy: linear, ring_timeout: 5s, announce_every: 1h}\n", 1)
	next += `  billing:
    entry: q
    nodes:
      q:   {type: queue, queue: billing, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`
	if err := os.WriteFile(path, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "configuration reloaded")
	eventsOf(t, s, store.Filter{Agent: "1002"}, has("agent.state>logged-out:1002"))

	carol := agentPhone(t, ctx, s, "1003", testutil.AnswerMode{After: 50 * time.Millisecond})
	caller := dialAs(t, ctx, s, "300", "+14155550199")
	incoming(t, ctx, carol)
	got := eventsOf(t, s, store.Filter{Queue: "billing"}, has("caller.joined:", "agent.answered:1003"))
	expectSequence(t, got, "agent.logged_in:1003", "caller.joined:", "caller.offered:1003", "agent.answered:1003")
	select {
	case <-old.IncomingCalls():
		t.Fatal("the removed agent was rung")
	default:
	}
	_ = caller.Hangup(ctx)
}
