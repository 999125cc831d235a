package main

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/store"
)

// TestBaresipAgent: Debian's own softphone, with nothing but an account
// line, registers as an agent against the default configuration, logs in
// with *50 and answers a queued caller, who hears it through the bridge.
func TestBaresipAgent(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	s := startAcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := startBaresip(t, modules, "<sip:1001@"+s.sip+">;auth_pass=demo-1001;answermode=auto")

	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50")
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`) // after its confirmation

	caller := dial(t, ctx, s)
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	expectSequence(t, got, "agent.registered:1001", "agent.logged_in:1001", "caller.joined:", "caller.offered:1001", "agent.answered:1001")
	speechGrows(t, ctx, caller, "the caller (baresip's tone)")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001"))
}
