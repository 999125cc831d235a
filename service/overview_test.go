package service

import (
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
)

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

// TestOverviewFiguresMatchTheList: the queue's figures count the waiting
// list they are drawn beside, callback requests included and counted
// apart, and the longest wait is the list's longest, a callback
// request's too.
func TestOverviewFiguresMatchTheList(t *testing.T) {
	s, fc, _ := newTestService(t)
	now := time.Now()
	admin := &Actor{UserID: "root", Role: directory.Administrator}
	for _, c := range []struct {
		name               string
		waiting            []acd.WaitingCaller
		callers, callbacks int
		oldest             time.Time
	}{
		{"a callback request alone", []acd.WaitingCaller{{Waiter: &acd.Waiter{CallID: "callback-1", Caller: "+14155550100", Joined: now.Add(-23 * time.Second), Callback: true}}},
			1, 1, now.Add(-23 * time.Second)},
		{"a callback request ahead of a caller", []acd.WaitingCaller{
			{Waiter: &acd.Waiter{CallID: "callback-1", Caller: "+14155550100", Joined: now.Add(-time.Minute), Callback: true}},
			{Waiter: &acd.Waiter{CallID: "c2", Caller: "+14155550101", Joined: now.Add(-10 * time.Second)}}},
			2, 1, now.Add(-time.Minute)},
		{"nobody", []acd.WaitingCaller{}, 0, 0, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fc.waiting = c.waiting
			o, err := s.QueueOverview(admin, "support")
			if err != nil {
				t.Fatal(err)
			}
			if o.Callers != len(o.Waiting) || o.Callers != c.callers || o.Callbacks != c.callbacks || !o.Oldest.Equal(c.oldest) {
				t.Errorf("figures: %d waiting, %d callback requests, oldest %v; the list holds %d; want %d, %d, %v",
					o.Callers, o.Callbacks, o.Oldest, len(o.Waiting), c.callers, c.callbacks, c.oldest)
			}
		})
	}
}
