package acd

import (
	"testing"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
)

// TestWaitingListSharedUntilItChanges: readers share one waiting list
// while nothing changes, and get a new one after a join, a ring starting
// or ending, or a departure, which shows the change; a place keeps its
// Waiter from list to list, and a reader's append does not reach the
// list the others hold.
func TestWaitingListSharedUntilItChanges(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	read := func() []WaitingCaller {
		t.Helper()
		w, err := r.c.Waiting("support")
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	shape := func(step string, w []WaitingCaller, ids []string, ringing []bool) {
		t.Helper()
		if len(w) != len(ids) {
			t.Fatalf("%s: %d places, want %d", step, len(w), len(ids))
		}
		for i := range w {
			if w[i].CallID != ids[i] || w[i].Ringing != ringing[i] {
				t.Fatalf("%s: place %d is %s ringing %v, want %s ringing %v", step, i, w[i].CallID, w[i].Ringing, ids[i], ringing[i])
			}
		}
	}

	empty := read()
	if empty == nil || len(empty) != 0 {
		t.Fatalf("no caller: %#v, want an empty list", empty)
	}
	t1 := r.join(t, "c1", "support")
	r.join(t, "c2", "support")
	first := read()
	shape("two joined", first, []string{"c1", "c2"}, []bool{false, false})
	if again := read(); &again[0] != &first[0] {
		t.Fatal("nothing changed, but the list was made again")
	}
	if grown := append(first, WaitingCaller{}); len(read()) != 2 || &grown[0] == &first[0] {
		t.Fatal("a reader's append reached the shared list")
	}

	login(t, r, "1001")
	o := r.nextOffer(t)
	ringing := read()
	shape("c1 offered", ringing, []string{"c1", "c2"}, []bool{true, false})
	if ringing[0].Waiter != first[0].Waiter || ringing[1].Waiter != first[1].Waiter {
		t.Fatal("a place's Waiter changed with its ringing")
	}
	if err := r.c.Logout("1001", event.Phone("1001")); err != nil {
		t.Fatal(err)
	}
	r.c.RingsOver(o)
	shape("ring over", read(), []string{"c1", "c2"}, []bool{false, false})

	if !r.c.Leave(t1, Abandoned) {
		t.Fatal("c1 could not leave")
	}
	left := read()
	shape("c1 left", left, []string{"c2"}, []bool{false})
	if left[0].Waiter != first[1].Waiter {
		t.Fatal("c2's Waiter changed when c1 left")
	}
}
