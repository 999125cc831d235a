package acd

import (
	"testing"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestRestoreAgents: a second distributor built from the first one's log
// has every agent back in its queues: paused with its reason, ready when
// it was on a call (calls do not survive a restart), logged out when it
// was, each change recorded with the cause "restored".
func TestRestoreAgents(t *testing.T) {
	yaml := testutil.QueueConfig("linear", "0s", true)
	first := newRig(t, yaml, "1001", "1002")
	login(t, first, "1001", "1002")
	if err := first.c.Pause("1001", "lunch", phone1001); err != nil {
		t.Fatal(err)
	}
	first.join(t, "c1", "support")
	o := first.nextOffer(t)
	if won, _ := first.c.Answer(o, o.Rings[0].Agent, stubLeg{o.Rings[0].Agent}); !won {
		t.Fatal("the answer did not win the caller")
	}
	first.log.Await(t, "1002 on a call", testutil.IsKind("agent.state>on-call:1002"))

	second := newRig(t, yaml, "1001", "1002")
	second.c.RestoreAgents(first.log.All())
	info, _ := second.c.Agent("1001")
	if info.State != Paused || info.Reason != "Lunch" || len(info.Queues) != 1 {
		t.Fatalf("1001 restored as %+v", info)
	}
	mustState(t, second.c, "1002", Ready)
	for _, e := range second.log.All() {
		if e.Type != "agent.state" {
			continue
		}
		p, _ := event.Decode(e)
		if st := p.(event.AgentState); st.Cause != "restored" || st.Actor != event.System() {
			t.Fatalf("restoring recorded %+v", st)
		}
	}
	chained(t, second.log.All())

	if err := second.c.Logout("1002", event.Phone("1002")); err != nil {
		t.Fatal(err)
	}
	third := newRig(t, yaml, "1001", "1002")
	third.c.RestoreAgents(append(first.log.All(), renumber(second.log.All(), len(first.log.All()))...))
	mustState(t, third.c, "1002", LoggedOut)
	mustState(t, third.c, "1001", Paused)
}

// renumber gives events sequence numbers after n, as one log would.
func renumber(evs []store.Event, n int) []store.Event {
	for i := range evs {
		evs[i].Seq = int64(n + i + 1)
	}
	return evs
}

// TestSetPauseReasons: reasons replaced while the server runs number
// *52N anew and refuse what was removed or disabled.
func TestSetPauseReasons(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	login(t, r, "1001")
	r.c.SetPauseReasons([]PauseReason{{"Meeting", false}, {"Break", true}, {"Coaching", true}})
	if got := r.c.PauseReasons(); len(got) != 2 || got[0] != "Break" || got[1] != "Coaching" {
		t.Fatalf("enabled reasons: %v", got)
	}
	if err := r.c.Pause("1001", "lunch", phone1001); err != ErrBadReason {
		t.Fatalf("a removed reason: %v", err)
	}
	if err := r.c.Pause("1001", "meeting", phone1001); err != ErrBadReason {
		t.Fatalf("a disabled reason: %v", err)
	}
	if err := r.c.PauseNumber("1001", 2, phone1001); err != nil {
		t.Fatal(err)
	}
	if info, _ := r.c.Agent("1001"); info.Reason != "Coaching" {
		t.Fatalf("*522 paused with %q", info.Reason)
	}
}
