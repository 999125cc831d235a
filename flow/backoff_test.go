package flow

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// missesOf lists the log's agent.missed events as "cause/misses".
func missesOf(t *testing.T, evs []store.Event) []string {
	t.Helper()
	var out []string
	for _, e := range evs {
		if e.Type == "agent.missed" {
			p, err := event.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			m := p.(event.AgentMissed)
			out = append(out, fmt.Sprintf("%s/%d", m.Cause, m.Misses))
		}
	}
	return out
}

// TestBusyPhoneIsNotAMiss: a phone that answers 486 is on another call;
// its agent is not paused for it however often it happens
// (max_no_answer is 2 here), and is not rung again before the busy
// back-off, rather than at once.
func TestBusyPhoneIsNotAMiss(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	const backoff = 150 * time.Millisecond
	r.c.SetBusyBackoff(backoff)
	login(t, r, "1001")
	call := newCaller("c1")
	out := r.wait(context.Background(), call, "support", time.Minute)
	ring := r.nextRing(t)
	for range 4 {
		ring.refuse(&causeErr{hangup.RingBusy})
		refused := time.Now()
		ring = r.nextRing(t)
		if gap := time.Since(refused); gap < backoff {
			t.Fatalf("the busy phone was rung again %v after it said busy", gap)
		}
	}
	mustState(t, r.c, "1001", acd.Offered)
	ring.answer()
	r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:1001"))
	if got := fmt.Sprint(missesOf(t, r.log.All())); got != "[busy/0 busy/0 busy/0 busy/0]" {
		t.Fatalf("busy answers counted as missed offers: %s", got)
	}
	call.hangup()
	outcome(t, out)
	chained(t, r.log.All())
}

// TestCallerHangsUpWhileRingingThenBusy: callers who hang up while the
// agent's phone rings, each time followed by the next caller's INVITE
// overtaking the CANCEL (the phone says busy to it). The agent is never
// paused for it, and the next caller is rung again after the back-off.
func TestCallerHangsUpWhileRingingThenBusy(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	r.c.SetBusyBackoff(20 * time.Millisecond)
	login(t, r, "1001")
	cur := newCaller("c0")
	r.wait(context.Background(), cur, "support", time.Minute)
	ring := r.nextRing(t)
	for i := range 10 {
		next := newCaller(fmt.Sprintf("c%d", i+1))
		next.number = fmt.Sprintf("+1415555%04d", i+1)
		r.wait(context.Background(), next, "support", time.Minute)
		r.log.Await(t, "the next caller queued", func(e store.Event) bool { return e.Type == "caller.joined" && e.CallID == next.id })
		cur.hangup()
		busy := r.nextRing(t)
		if busy.show.Number != next.number {
			t.Fatalf("round %d: rung for %s, want the next caller %s", i, busy.show.Number, next.number)
		}
		busy.refuse(&causeErr{hangup.RingBusy})
		ring = r.nextRing(t)
		if ring.show.Number != next.number {
			t.Fatalf("round %d: rung again for %s, want %s", i, ring.show.Number, next.number)
		}
		cur = next
	}
	mustState(t, r.c, "1001", acd.Offered)
	ring.answer()
	r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:1001"))
	for _, m := range missesOf(t, r.log.All()) {
		if m != "busy/0" {
			t.Fatalf("a busy answer was counted as a missed offer: %v", missesOf(t, r.log.All()))
		}
	}
	cur.hangup()
	chained(t, r.log.All())
}

// TestDeclinedCallerWaitsForTheRingTimeout: a caller both agents
// declined at once is not offered to either again before the ring
// timeout has run from their offer; it goes to the other agent first.
// Declines count toward max_no_answer.
func TestDeclinedCallerWaitsForTheRingTimeout(t *testing.T) {
	const ringTimeout = 400 * time.Millisecond
	yaml := strings.NewReplacer("ring_timeout: 5s", "ring_timeout: 400ms", "max_no_answer: 2", "max_no_answer: 3").Replace(testutil.QueueConfig("linear", "0s", true))
	r := newRig(t, yaml, "1001", "1002")
	login(t, r, "1001", "1002")
	call := newCaller("c1")
	r.wait(context.Background(), call, "support", time.Minute)
	first := r.nextRing(t)
	offered := time.Now()
	first.refuse(&causeErr{hangup.RingDeclined})
	second := r.nextRing(t)
	if first.agent != "1001" || second.agent != "1002" {
		t.Fatalf("rung %s then %s, want 1001 then 1002", first.agent, second.agent)
	}
	second.refuse(&causeErr{hangup.RingDeclined})
	again := r.nextRing(t)
	if gap := time.Since(offered); gap < ringTimeout*3/4 {
		t.Fatalf("%s was offered the caller it declined again %v after the offer, before the ring timeout of %v", again.agent, gap, ringTimeout)
	}
	if again.agent != "1001" {
		t.Fatalf("then rung %s, want 1001, who declined first", again.agent)
	}
	again.answer()
	r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:1001"))
	if got := fmt.Sprint(missesOf(t, r.log.All())); got != "[declined/1 declined/1]" {
		t.Fatalf("missed offers: %s", got)
	}
	call.hangup()
	chained(t, r.log.All())
}

// TestDeclinedAgentTakesTheNextCaller: an agent who declined a caller is
// offered the caller behind it meanwhile, not the one declined again.
func TestDeclinedAgentTakesTheNextCaller(t *testing.T) {
	r := newRig(t, strings.Replace(testutil.QueueConfig("linear", "0s", true), "ring_timeout: 5s", "ring_timeout: 1m", 1), "1001")
	first, second := newCaller("c1"), newCaller("c2")
	second.number = "+14155550199"
	r.wait(context.Background(), first, "support", time.Minute)
	r.log.Await(t, "the first caller queued", testutil.IsKind("caller.joined:"))
	r.wait(context.Background(), second, "support", time.Minute)
	r.log.Await(t, "the second caller queued", func(e store.Event) bool { return e.Type == "caller.joined" && e.CallID == "c2" })
	login(t, r, "1001")
	ring := r.nextRing(t)
	if ring.show.Number != first.number {
		t.Fatalf("rung first for %s", ring.show.Number)
	}
	ring.refuse(&causeErr{hangup.RingDeclined})
	next := r.nextRing(t)
	if next.show.Number != second.number {
		t.Fatalf("after declining %s, the agent was rung for %s, want the next caller %s", first.number, next.show.Number, second.number)
	}
	next.answer()
	r.log.Await(t, "the second caller connected", func(e store.Event) bool { return e.Type == "agent.answered" && e.CallID == "c2" })
	first.hangup()
	second.hangup()
	chained(t, r.log.All())
}
