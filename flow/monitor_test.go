package flow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// liveRoom is agent 1001 on a call whose room the fake phones keep.
type liveRoom struct {
	r     *rig
	call  *fakeCaller
	leg   *fakeLeg
	room  *fakeRoom
	agent media.Member // the agent leg's member
}

func newLiveRoom(t *testing.T) liveRoom {
	t.Helper()
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	login(t, r, "1001")
	call := newCaller("c1")
	r.wait(context.Background(), call, "support", time.Minute)
	leg := r.nextRing(t).answer()
	r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:1001"))
	r.awaitLive(t, "1001")
	room := newFakeRoom(call, leg)
	r.phones.mu.Lock()
	r.phones.room = room
	r.phones.mu.Unlock()
	agent, _ := room.Member(leg)
	t.Cleanup(func() {
		// As at shutdown, the calls end before the flows close.
		call.hangup()
		leg.Hangup(0)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.f.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return liveRoom{r: r, call: call, leg: leg, room: room, agent: agent}
}

// ringSupervisor starts a session for 2001's phone and answers it, the
// phone able to send keys.
func (l liveRoom) ringSupervisor(t *testing.T, mode MonitorMode, barge bool) (Monitoring, *fakeLeg) {
	t.Helper()
	m, err := l.r.f.Monitor(MonitorRequest{Agent: "1001", Phone: "2001", Mode: mode, Barge: barge, Supervisor: "sue", By: sup})
	if err != nil {
		t.Fatal(err)
	}
	g := l.r.nextRing(t)
	if g.agent != "2001" || g.show.Number != "1001" || !strings.HasPrefix(g.show.Name, "Monitor ") {
		t.Fatalf("rang %s showing %+v; want 2001 showing the monitored agent", g.agent, g.show)
	}
	sv := newLeg("2001")
	sv.digits = make(chan rune, 4)
	g.reply <- ringReply{leg: sv}
	return m, sv
}

func stoppedCause(t *testing.T, evs []store.Event) string {
	t.Helper()
	for _, e := range evs {
		if e.Type == "monitor.stopped" {
			var d event.MonitorStopped
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			return d.Cause
		}
	}
	return ""
}

// TestMonitorModes: the supervisor's answered leg joins the call's room
// listening; its keys switch to whisper (to the agent's member) and back,
// key 3 barges in only for a supervisor who may, the console's change
// does; its hanging up takes it out of the room and leaves the customer
// and the agent as they were.
func TestMonitorModes(t *testing.T) {
	l := newLiveRoom(t)
	m, sv := l.ringSupervisor(t, Listen, false)
	listen := func(in bool, mode media.Mode) bool { return in && mode == media.Mode{Role: media.Listen} }
	whisper := func(in bool, mode media.Mode) bool { return in && mode == media.Mode{Role: media.Whisper, To: l.agent} }
	l.room.await(t, "the supervisor listening", sv, listen)
	l.r.log.Await(t, "monitor.started", testutil.IsKind("monitor.started:1001"))
	sv.digits <- '2'
	l.room.await(t, "the supervisor whispering to the agent", sv, whisper)
	sv.digits <- '3' // not for this supervisor: still whispering
	sv.digits <- '1'
	l.room.await(t, "the supervisor listening again", sv, listen)
	got, err := l.r.f.SetMonitorMode(context.Background(), m.ID, Barge, sup)
	if err != nil || got.Mode != Barge {
		t.Fatalf("the console's barge: %+v %v", got, err)
	}
	// The session takes keys and changes in turn: every one before the
	// console's is logged by now.
	if n := l.r.log.Count("monitor.mode_changed"); n != 3 {
		t.Errorf("%d mode changes logged; want 3 (key 3 refused)", n)
	}
	l.room.await(t, "the supervisor barging in", sv, func(in bool, mode media.Mode) bool { return in && mode == media.Mode{Role: media.Both} })
	sv.Hangup(0)
	l.room.await(t, "the supervisor gone", sv, func(in bool, _ media.Mode) bool { return !in })
	evs := l.r.log.Await(t, "monitor.stopped", testutil.IsKind("monitor.stopped:1001"))
	if c := stoppedCause(t, evs); c != "supervisor-hung-up" {
		t.Errorf("stopped for %q", c)
	}
	if l.leg.hungUp() {
		t.Error("the agent was hung up when the supervisor left")
	}
	select {
	case <-l.call.done:
		t.Error("the customer was hung up when the supervisor left")
	default:
	}
	if _, in := l.room.Member(l.leg); !in {
		t.Error("the agent left the room with the supervisor")
	}
	if len(l.r.f.Monitorings()) != 0 {
		t.Errorf("sessions after the end: %+v", l.r.f.Monitorings())
	}
}

// TestMonitorEnds: each way a session ends, with its cause, and what
// happens to the supervisor's phone.
func TestMonitorEnds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer bool // the supervisor's phone answered first
		end    func(l liveRoom, m Monitoring)
		cause  string
		byeSup bool
	}{
		{"the customer hangs up", true, func(l liveRoom, _ Monitoring) { l.call.hangup() }, "call-ended", true},
		{"the agent hangs up", true, func(l liveRoom, _ Monitoring) { l.leg.Hangup(0) }, "call-ended", true},
		{"stopped", true, func(l liveRoom, m Monitoring) { _ = l.r.f.StopMonitor(context.Background(), m.ID, sup) }, "stopped", true},
		{"stopped while ringing", false, func(l liveRoom, m Monitoring) { _ = l.r.f.StopMonitor(context.Background(), m.ID, sup) }, "stopped", false},
		// Close returns once the call ends too, at the test's cleanup.
		{"the server stops", true, func(l liveRoom, _ Monitoring) { go func() { _ = l.r.f.Close(context.Background()) }() }, "server-stopping", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLiveRoom(t)
			var m Monitoring
			var sv *fakeLeg
			var g ringing
			if tc.answer {
				m, sv = l.ringSupervisor(t, Listen, false)
				l.room.await(t, "the supervisor listening", sv, func(in bool, _ media.Mode) bool { return in })
			} else {
				var err error
				if m, err = l.r.f.Monitor(MonitorRequest{Agent: "1001", Phone: "2001", Mode: Listen, By: sup}); err != nil {
					t.Fatal(err)
				}
				g = l.r.nextRing(t)
			}
			tc.end(l, m)
			evs := l.r.log.Await(t, "monitor.stopped", testutil.IsKind("monitor.stopped:1001"))
			if c := stoppedCause(t, evs); c != tc.cause {
				t.Errorf("stopped for %q; want %q", c, tc.cause)
			}
			<-m.Done
			if sv != nil && sv.hungUp() != tc.byeSup {
				t.Errorf("the supervisor's phone hung up: %v; want %v", sv.hungUp(), tc.byeSup)
			}
			if !tc.answer {
				select {
				case <-g.ctx.Done():
				case <-time.After(5 * time.Second):
					t.Error("the supervisor's phone kept ringing")
				}
				if l.r.log.Count("monitor.started") != 0 {
					t.Error("monitor.started for a phone that never answered")
				}
			}
		})
	}
}

// TestMonitorNoCall: an agent on no call is not monitored.
func TestMonitorNoCall(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	_, err := r.f.Monitor(MonitorRequest{Agent: "1001", Phone: "2001", Mode: Listen, By: sup})
	if !errors.Is(err, ErrNoLiveCall) {
		t.Fatalf("monitoring an agent on no call: %v", err)
	}
	if _, err := r.f.SetMonitorMode(context.Background(), "nope", Whisper, sup); !errors.Is(err, ErrNoMonitoring) {
		t.Fatalf("changing no session: %v", err)
	}
}
