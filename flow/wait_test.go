package flow

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

var (
	phone1001 = event.Phone("1001")
	sup       = event.User("sue", "supervisor")
)

// chained checks the log's agent.state events: each agent's moves form
// one chain (every move starts where the last ended), between known
// states, and every one names a cause and an actor.
func chained(t *testing.T, evs []store.Event) {
	t.Helper()
	last := map[string]string{}
	for _, e := range evs {
		if e.Type != "agent.state" {
			continue
		}
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		st := p.(event.AgentState)
		_, okFrom := acd.ParseState(st.From)
		_, okTo := acd.ParseState(st.To)
		if was, ok := last[e.Agent]; (ok && was != st.From) || (!ok && st.From != "logged-out") {
			t.Fatalf("agent %s moved from %s, but was %q: %v", e.Agent, st.From, was, testutil.Kinds(evs))
		}
		// The core's state machine refuses any other move before it is
		// recorded (package acd tests it).
		if !okFrom || !okTo || st.Cause == "" || st.Actor.Kind == "" {
			t.Fatalf("agent %s: move %+v is not a valid change", e.Agent, st)
		}
		last[e.Agent] = st.To
	}
}

func login(t *testing.T, r *rig, agents ...string) {
	t.Helper()
	for _, a := range agents {
		if err := r.c.Login(a, event.Phone(a)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAnswerRaces: the caller's queue timeout, or the caller hanging up,
// and an agent's answer come at nearly the same moment, at every offset
// around each other. Whichever wins, the wait has one outcome: either the
// caller is connected (agent.answered, and no timeout or abandon) or the
// caller left and the late answer is hung up. (That the wait is counted
// once in the queue's window is the core's test, TestAnswerAgainstLeave.)
func TestAnswerRaces(t *testing.T) {
	for _, race := range []struct {
		name  string
		leave func(*fakeCaller) (timeout time.Duration)
		left  string
		out   acd.Outcome
	}{
		{"timeout", func(*fakeCaller) time.Duration { return 20 * time.Millisecond }, "caller.timeout", acd.Timeout},
		{"hang-up", func(c *fakeCaller) time.Duration {
			time.AfterFunc(20*time.Millisecond, c.hangup)
			return time.Minute
		}, "caller.abandoned", acd.Hangup},
	} {
		t.Run(race.name, func(t *testing.T) {
			for i := range 40 {
				r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
				login(t, r, "1001")
				call := newCaller(fmt.Sprintf("call-%d", i))
				out := r.wait(context.Background(), call, "support", race.leave(call))
				ring := r.nextRing(t)
				time.Sleep(time.Duration(i) * time.Millisecond) // the answer's offset against the other event: the point of the test
				leg := ring.answer()
				var o acd.Outcome
				select {
				case o = <-out:
				case <-time.After(200 * time.Millisecond):
					// Connected: Wait returns when the call ends.
					call.hangup()
					o = outcome(t, out)
				}
				evs := r.log.Await(t, "the agent free again", func(e store.Event) bool {
					return testutil.Key(e) == "agent.state>ready:1001" && e.Seq > 3
				})
				answered, left := r.log.Count("agent.answered"), r.log.Count(race.left)
				switch {
				case answered == 1 && left == 0:
					if o != acd.Answered {
						t.Fatalf("offset %d ms: connected, but Wait returned %v", i, o)
					}
				case answered == 0 && left == 1:
					if o != race.out || !leg.hungUp() {
						t.Fatalf("offset %d ms: the caller left (Wait: %v), and the late answer was not hung up (%v)", i, o, leg.hungUp())
					}
				default:
					t.Fatalf("offset %d ms: %d answers and %d %s for one caller: %v", i, answered, left, race.left, testutil.Kinds(evs))
				}
				chained(t, r.log.All())
			}
		})
	}
}

// TestRingAllTwoAnswers: with ring-all, both phones answer; the caller is
// given to one, the other leg is hung up and its agent is ready again.
func TestRingAllTwoAnswers(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("ring-all", "0s", true), "1001", "1002")
	login(t, r, "1001", "1002")
	call := newCaller("c1")
	out := r.wait(context.Background(), call, "support", time.Minute)
	a, b := r.nextRing(t), r.nextRing(t)
	la, lb := a.answer(), b.answer()
	r.log.Await(t, "the second agent released", func(e store.Event) bool {
		return r.log.Count("agent.answered") == 1 && strings.HasPrefix(testutil.Key(e), "agent.state>ready:") && e.Seq > 4
	})
	if la.hungUp() == lb.hungUp() {
		t.Fatalf("both legs hung up, or neither: %v %v", la.hungUp(), lb.hungUp())
	}
	if n := len(r.phones.bridges()); n != 1 {
		t.Fatalf("the caller was bridged %d times", n)
	}
	winner, loser := a.agent, b.agent
	if la.hungUp() {
		winner, loser = loser, winner
	}
	mustState(t, r.c, winner, acd.OnCall)
	mustState(t, r.c, loser, acd.Ready)
	call.hangup()
	if o := outcome(t, out); o != acd.Answered {
		t.Fatalf("Wait: %v", o)
	}
	chained(t, r.log.All())
}

// TestLogoutWhileRinging: an agent who logs out while rung stops ringing
// at once and is logged out, not made ready with no queues; a missed
// offer is not counted against them, and the caller goes to the next
// agent.
func TestLogoutWhileRinging(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001", "1002")
	login(t, r, "1001")
	call := newCaller("c1")
	r.wait(context.Background(), call, "support", time.Minute)
	ring := r.nextRing(t)
	login(t, r, "1002")
	if err := r.c.Logout("1001", phone1001); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ring.ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the ring went on after the agent logged out")
	}
	mustState(t, r.c, "1001", acd.LoggedOut)
	next := r.nextRing(t)
	if next.agent != "1002" {
		t.Fatalf("the caller went to %s", next.agent)
	}
	next.answer()
	evs := r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:1002"))
	if r.log.Count("agent.missed") != 0 {
		t.Fatalf("logging out counted as a missed offer: %v", testutil.Kinds(evs))
	}
	chained(t, r.log.All())
	call.hangup()
}

// TestLogoutDuringCall: logging out on a call keeps the call; when it
// ends the agent is logged out, with no wrap-up.
func TestLogoutDuringCall(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "1h", true), "1001")
	login(t, r, "1001")
	call := newCaller("c1")
	out := r.wait(context.Background(), call, "support", time.Minute)
	r.nextRing(t).answer()
	r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:1001"))
	if err := r.c.Logout("1001", phone1001); err != nil {
		t.Fatal(err)
	}
	mustState(t, r.c, "1001", acd.OnCall)
	call.hangup()
	outcome(t, out)
	r.log.Await(t, "the agent logged out", testutil.IsKind("agent.state>logged-out:1001"))
	mustState(t, r.c, "1001", acd.LoggedOut)
	if r.log.Count("agent.state") != 4 { // ready, offered, on-call, logged-out
		t.Fatalf("agent moves: %v", testutil.Kinds(r.log.All()))
	}
	chained(t, r.log.All())
}

// TestWrapUpRules: where the queue does not let agents end wrap-up, an
// agent's ready (*53), pause (*52) and end (*54) are all refused; a
// supervisor may end it; the timer ends it otherwise. Each end is one
// event with its cause.
func TestWrapUpRules(t *testing.T) {
	wrapped := func(t *testing.T, end bool, wrap string) *rig {
		r := newRig(t, testutil.QueueConfig("linear", wrap, end), "1001")
		login(t, r, "1001")
		call := newCaller("c1")
		out := r.wait(context.Background(), call, "support", time.Minute)
		r.nextRing(t).answer()
		r.log.Await(t, "connected", testutil.IsKind("agent.answered:1001"))
		call.hangup()
		outcome(t, out)
		r.log.Await(t, "wrap-up", testutil.IsKind("agent.state>wrap-up:1001"))
		return r
	}
	cause := func(t *testing.T, r *rig) string {
		var end event.AgentState
		r.log.Await(t, "the end of wrap-up", func(e store.Event) bool {
			if p, err := event.Decode(e); err == nil {
				if st, ok := p.(event.AgentState); ok && st.From == "wrap-up" {
					end = st
					return true
				}
			}
			return false
		})
		return end.Cause + " by " + end.Actor.String()
	}
	t.Run("locked", func(t *testing.T) {
		r := wrapped(t, false, "1h")
		for name, err := range map[string]error{
			"ready": r.c.Ready("1001", phone1001), "pause": r.c.Pause("1001", "", phone1001), "end": r.c.EndWrapUp("1001", phone1001),
		} {
			if err != acd.ErrEndNotAllowed {
				t.Fatalf("%s during a locked wrap-up: %v", name, err)
			}
		}
		mustState(t, r.c, "1001", acd.WrapUp)
		if err := r.c.EndWrapUp("1001", sup); err != nil {
			t.Fatal(err)
		}
		if got := cause(t, r); got != "wrap-up-ended by user:sue" {
			t.Fatalf("the end of wrap-up: %s", got)
		}
		chained(t, r.log.All())
	})
	t.Run("allowed", func(t *testing.T) {
		r := wrapped(t, true, "1h")
		if err := r.c.Pause("1001", "lunch", phone1001); err != nil {
			t.Fatal(err)
		}
		mustState(t, r.c, "1001", acd.Paused)
		chained(t, r.log.All())
	})
	t.Run("timer", func(t *testing.T) {
		r := wrapped(t, false, "1s")
		if got := cause(t, r); got != "wrap-up-time by system" {
			t.Fatalf("the end of wrap-up: %s", got)
		}
		chained(t, r.log.All())
	})
}

// TestMissesPause: max_no_answer missed offers pause the agent straight
// from the offer: one move, with its cause, and the caller goes on to the
// next agent. A busy answer is not a miss; declines are.
func TestMissesPause(t *testing.T) {
	r := newRig(t, strings.Replace(testutil.QueueConfig("linear", "0s", true), "ring_timeout: 5s", "ring_timeout: 100ms", 1), "1001", "1002")
	r.c.SetBusyBackoff(10 * time.Millisecond)
	login(t, r, "1001")
	call := newCaller("c1")
	r.wait(context.Background(), call, "support", time.Minute)
	r.nextRing(t).refuse(&causeErr{hangup.RingBusy})
	r.nextRing(t).refuse(&causeErr{hangup.RingDeclined})
	r.nextRing(t).refuse(&causeErr{hangup.RingDeclined})
	evs := r.log.Await(t, "the pause", testutil.IsKind("agent.state>paused:1001"))
	if got := fmt.Sprint(missesOf(t, evs)); got != "[busy/0 declined/1 declined/2]" {
		t.Fatalf("missed offers' causes: %v", got)
	}
	info, _ := r.c.Agent("1001")
	if info.Reason != acd.NoAnswerReason {
		t.Fatalf("paused with %q", info.Reason)
	}
	chained(t, r.log.All())
	call.hangup()
}

// causeErr is a phone's refusal, with its cause as the SIP side gives it.
type causeErr struct{ cause hangup.RingCause }

func (e *causeErr) Error() string               { return "phone said " + e.cause.String() }
func (e *causeErr) RingCause() hangup.RingCause { return e.cause }

// TestShutdownWhileQueued: a caller still waiting when the server stops
// is recorded as such, not as having abandoned.
func TestShutdownWhileQueued(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true))
	ctx, stop := context.WithCancel(context.Background())
	out := r.wait(ctx, newCaller("c1"), "support", time.Minute)
	r.log.Await(t, "the caller queued", testutil.IsKind("caller.joined:"))
	stop()
	outcome(t, out)
	r.log.Await(t, "the caller's end", testutil.IsKind("caller.server_stopped:"))
	if n := r.log.Count("caller.abandoned"); n != 0 {
		t.Fatal("a caller waiting at shutdown was logged as abandoned")
	}
}

// TestDispatchOrder: callers are offered by queue weight, then by how
// long they have waited, whatever order they joined the lists in.
func TestDispatchOrder(t *testing.T) {
	yaml := strings.Replace(testutil.QueueConfig("linear", "0s", true), "queues:\n", "queues:\n  vip: {weight: 5, announce_every: 1h}\n", 1)
	yaml = strings.Replace(yaml, "queues: [support]}", "queues: [support, vip]}", 1)
	r := newRig(t, yaml, "1001")
	first, second, vip := newCaller("first"), newCaller("second"), newCaller("vip")
	r.wait(context.Background(), first, "support", time.Minute)
	r.log.Await(t, "first", func(e store.Event) bool { return e.CallID == "first" })
	r.wait(context.Background(), second, "support", time.Minute)
	r.log.Await(t, "second", func(e store.Event) bool { return e.CallID == "second" })
	r.wait(context.Background(), vip, "vip", time.Minute)
	r.log.Await(t, "vip", func(e store.Event) bool { return e.CallID == "vip" })
	login(t, r, "1001")
	callers := map[string]*fakeCaller{"first": first, "second": second, "vip": vip}
	var order []string
	for range 3 {
		r.nextRing(t).answer()
		evs := r.log.Await(t, "an answer", func(e store.Event) bool {
			return e.Type == "agent.answered" && !strings.Contains(fmt.Sprint(order), e.CallID)
		})
		for _, e := range evs {
			if e.Type == "agent.answered" && !strings.Contains(fmt.Sprint(order), e.CallID) {
				order = append(order, e.CallID)
				callers[e.CallID].hangup()
			}
		}
	}
	if fmt.Sprint(order) != "[vip first second]" {
		t.Fatalf("answered in order %v", order)
	}
	chained(t, r.log.All())
}

// TestCloseWaitsForRings: at shutdown, a ring in progress is stopped and
// Flows.Close returns only once the goroutine that rang has finished, so
// that nothing reaches the event log after it closes.
func TestCloseWaitsForRings(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	login(t, r, "1001")
	ctx, stop := context.WithCancel(context.Background())
	out := r.wait(ctx, newCaller("c1"), "support", time.Minute)
	ring := r.nextRing(t)
	closed := make(chan error, 1)
	go func() { closed <- r.f.Close(context.Background()) }()
	select {
	case <-ring.ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the ring")
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	n := len(r.log.All())
	stop()
	outcome(t, out)
	// The caller's own record of leaving is the dial plan's, not a
	// distributor goroutine's: it may follow; nothing else does.
	for _, e := range r.log.All()[n:] {
		if e.Type != "caller.server_stopped" {
			t.Fatalf("after Close the distributor appended %s", testutil.Key(e))
		}
	}
}

// announcingCaller is a caller whose announcements end at once, so that
// each turn of the queue's announcement plays one.
type announcingCaller struct {
	*fakeCaller
	mu        sync.Mutex
	announced int
}

func (c *announcingCaller) Play(_ *media.Sound, loop bool) <-chan struct{} {
	if loop {
		return make(chan struct{}) // the hold music, until the next announcement
	}
	c.mu.Lock()
	c.announced++
	c.mu.Unlock()
	over := make(chan struct{})
	close(over)
	return over
}

// TestWaitAnnouncesUntilItTimesOut: the wait's one clock plays the
// announcement at every turn and ends the wait at its timeout.
func TestWaitAnnouncesUntilItTimesOut(t *testing.T) {
	yaml := strings.Replace(testutil.QueueConfig("linear", "0s", true), "announce_every: 1h", "announce_every: 40ms", 1)
	r := newRig(t, yaml)
	c := &announcingCaller{fakeCaller: newCaller("c1")}
	if got := outcome(t, r.wait(context.Background(), c, "support", 400*time.Millisecond)); got != acd.Timeout {
		t.Fatalf("outcome %v, want %v", got, acd.Timeout)
	}
	r.log.Await(t, "the caller's time-out", testutil.IsKind("caller.timeout:"))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.announced < 2 {
		t.Fatalf("%d announcements in a wait of ten turns, want the clock to come back after each", c.announced)
	}
}
