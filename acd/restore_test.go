package acd

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// TestRestoreAgents: a second distributor built from the first one's log
// has every agent back in its queues: paused with its reason, ready when
// it was on a call (calls do not survive a restart), logged out when it
// was, each change recorded with the cause "restored".
func TestRestoreAgents(t *testing.T) {
	yaml := rigConfig("linear", "0s", true)
	first := newRig(t, yaml, "1001", "1002")
	login(t, first, "1001", "1002")
	if err := first.c.Pause("1001", "lunch", phone1001); err != nil {
		t.Fatal(err)
	}
	call := newCaller("c1")
	first.wait(context.Background(), call, "support", time.Minute)
	first.nextRing(t).answer()
	first.log.await(t, "1002 on a call", isKind("agent.state>on-call:1002"))

	second := newRig(t, yaml, "1001", "1002")
	second.c.RestoreAgents(first.log.all())
	info, _ := second.c.Agent("1001")
	if info.State != Paused || info.Reason != "Lunch" || len(info.Queues) != 1 {
		t.Fatalf("1001 restored as %+v", info)
	}
	mustState(t, second.c, "1002", Ready)
	for _, e := range second.log.all() {
		if e.Type != "agent.state" {
			continue
		}
		p, _ := event.Decode(e)
		if st := p.(event.AgentState); st.Cause != "restored" || st.Actor != event.System() {
			t.Fatalf("restoring recorded %+v", st)
		}
	}
	chained(t, second.log.all())

	if err := second.c.Logout("1002", event.Phone("1002")); err != nil {
		t.Fatal(err)
	}
	third := newRig(t, yaml, "1001", "1002")
	third.c.RestoreAgents(append(first.log.all(), renumber(second.log.all(), len(first.log.all()))...))
	mustState(t, third.c, "1002", LoggedOut)
	mustState(t, third.c, "1001", Paused)
	call.hangup()
}

// renumber gives events sequence numbers after n, as one log would.
func renumber(evs []store.Event, n int) []store.Event {
	for i := range evs {
		evs[i].Seq = int64(n + i + 1)
	}
	return evs
}
