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

// TestReloadPutsPauseReasonsInForce: a SIGHUP with a reason removed from
// the file and one added changes what agents may pause with at once, as
// a restart would.
func TestReloadPutsPauseReasonsInForce(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, apiYAML)
	s := startAcd(t, "-config", path)
	as := users(t, s, setupAdmin(t, s))
	next := strings.Replace(apiYAML, "pause_reasons: [Lunch, Training]", "pause_reasons: [Lunch, Meeting]", 1)
	if next == apiYAML {
		t.Fatal("apiYAML no longer has the pause reasons this test changes")
	}
	if err := os.WriteFile(path, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "configuration reloaded")
	var list struct {
		Reasons []struct {
			Name        string
			Enabled     bool
			Provisioned bool
		} `json:"pause_reasons"`
	}
	as["admin"].expect(t, "GET", "/pause-reasons", nil, 200, &list)
	var names []string
	for _, r := range list.Reasons {
		if !r.Provisioned || !r.Enabled {
			t.Errorf("reason %+v: want the file's, enabled", r)
		}
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "Lunch,Meeting" {
		t.Fatalf("pause reasons after the reload: %v; want Lunch, Meeting", names)
	}
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Meeting"}, 200, nil)
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Training"}, 422, nil)
}
