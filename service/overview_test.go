package service

import "testing"

// TestInQueue: an agent's state in one queue is its own while logged in
// to it; logged out of it, or ready with no phone, it takes no call there.
func TestInQueue(t *testing.T) {
	for _, c := range []struct {
		st   AgentState
		want string
	}{
		{AgentState{State: "ready", Queues: []string{"support"}, Registered: true}, "ready"},
		{AgentState{State: "ready", Queues: []string{"support"}}, QueueUnreachable},
		{AgentState{State: "paused", Queues: []string{"support"}}, "paused"},
		{AgentState{State: "on-call", Queues: []string{"support"}}, "on-call"},
		{AgentState{State: "ready", Queues: []string{"sales"}, Registered: true}, QueueLoggedOut},
		{AgentState{State: "logged-out", Queues: []string{}}, QueueLoggedOut},
	} {
		if got := inQueue(c.st, "support"); got != c.want {
			t.Errorf("inQueue(%+v) = %q; want %q", c.st, got, c.want)
		}
	}
	var n AgentCounts
	for _, s := range []string{"ready", "ready", "offered", "on-call", "wrap-up", "paused", QueueLoggedOut, QueueUnreachable} {
		n.add(s)
	}
	if n != (AgentCounts{Ready: 2, Offered: 1, OnCall: 1, WrapUp: 1, Paused: 1, LoggedOut: 1, Unreachable: 1}) {
		t.Errorf("counts: %+v", n)
	}
}
