package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// qualifyYAML asks phones every half second, so that a phone that stops
// answering is found within a second or two.
const qualifyYAML = "sip:\n  qualify: {interval: 500ms, timeout: 300ms, failures: 2}\n" + agentsYAML

// phoneCauses lists an agent's agent.registered and agent.unregistered
// events as "+cause" and "-cause", in order.
func phoneCauses(t *testing.T, s *server, agent string) []string {
	t.Helper()
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, err := l.Events(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Agent != agent {
			continue
		}
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		switch p := p.(type) {
		case event.PhoneRegistered:
			out = append(out, "+"+p.Cause)
		case event.PhoneUnregistered:
			out = append(out, "-"+p.Cause)
		}
	}
	return out
}

// TestQualifyBaresip: a real phone, baresip, registers as agent 1001 and
// logs in. Frozen with SIGSTOP, it stops answering the server's OPTIONS:
// the server marks it unreachable (event, log line, API, acd ctl), and a
// caller who queues meanwhile is not offered to it. Thawed with SIGCONT,
// it answers again, is reachable, and is offered the caller, whom it
// answers.
func TestQualifyBaresip(t *testing.T) {
	modules := requireBaresip(t)
	s := startAcd(t, "-config", writeConfig(t, qualifyYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := startBaresip(t, modules, "<sip:1001@"+s.sip+">;auth_pass=secret-1001;answermode=auto")
	pid := phone.cmd.Process.Pid
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50")
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`) // after its confirmation

	// Frozen: it cannot answer anything. Thawed at the end whatever
	// happens, before its own cleanup asks it to quit (this runs first).
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001", "agent.logged_in:1001", "agent.unregistered:1001"))
	s.waitLog(t, 10*time.Second, "agent's phone does not answer OPTIONS: unreachable", "agent=1001", "transport=UDP")
	var state struct {
		State       string
		Registered  bool
		Unreachable bool
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &state)
	if state.State != "ready" || state.Registered || !state.Unreachable {
		t.Fatalf("the frozen phone's agent: %+v; want ready, not registered, unreachable", state)
	}
	shown := ""
	for _, r := range table(t, ctlOK(t, s, "agents")) {
		if r["AGENT"] == "1001" {
			shown = r["PHONE"]
		}
	}
	if shown != "unreachable" {
		t.Fatalf("acd ctl agents shows 1001's phone as %q, want unreachable", shown)
	}

	// A caller queues while the phone is unreachable: it waits, unoffered.
	caller := dialAs(t, ctx, s, "200", "+14155550123")
	eventsOf(t, s, store.Filter{}, has("agent.unregistered:1001", "caller.joined:"))
	var waiting struct {
		Waiting []struct{ Ringing bool }
	}
	admin.expect(t, "GET", "/queues/sales/waiting", nil, 200, &waiting)
	if len(waiting.Waiting) != 1 || waiting.Waiting[0].Ringing {
		t.Fatalf("sales' waiting list %+v; want the caller, not ringing", waiting.Waiting)
	}

	// Thawed: it answers the next OPTIONS, is reachable, is offered the
	// caller and answers.
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	got := eventsOf(t, s, store.Filter{}, has("caller.joined:", "agent.registered:1001", "caller.offered:1001", "agent.answered:1001"))
	s.waitLog(t, 10*time.Second, "agent's phone answers OPTIONS again: reachable", "agent=1001")
	// Not offered in between: the first offer to 1001 after the caller
	// joined comes after its phone answered again.
	joined := slices.Index(got, "caller.joined:")
	back := joined + slices.Index(got[joined:], "agent.registered:1001")
	offered := joined + slices.Index(got[joined:], "caller.offered:1001")
	if offered < back {
		t.Fatalf("the caller was offered to the unreachable phone: %v", got)
	}
	if causes := phoneCauses(t, s, "1001"); !slices.Equal(causes, []string{"+registered", "-no-response", "+responding"}) {
		t.Fatalf("1001's phone changes %v; want registered, no-response, responding", causes)
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &state)
	if !state.Registered || state.Unreachable {
		t.Fatalf("the thawed phone's agent: %+v; want registered, reachable", state)
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
