package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestRefusingPhoneIsNotRungBackToBack: an agent's phone that answers
// every INVITE with 486 (busy) or 603 (decline) is not sent the same
// caller again at once. A decline counts toward max_no_answer (3 here)
// and comes back after the queue's 1 s ring timeout; busy does not count
// and comes back after the busy back-off, the agent never paused for it.
func TestRefusingPhoneIsNotRungBackToBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		gap    time.Duration // the least time between two INVITEs
		after  string        // the agent's state after the third refusal
	}{
		{"busy", 486, acd.DefaultBusyBackoff, "agent.state>ready:1001"},
		{"declined", 603, time.Second, "agent.state>paused:1001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			yaml := strings.Replace(agentsYAML, "max_no_answer: 1", "max_no_answer: 3", 1)
			s := startAcd(t, "-config", writeConfig(t, yaml))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			phone := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Reject: tc.status})
			caller := dial(t, ctx, s)
			defer func() { _ = caller.Hangup(ctx) }()
			var rung []time.Time
			for range 3 {
				incoming(t, ctx, phone)
				rung = append(rung, time.Now())
			}
			for i := 1; i < len(rung); i++ {
				// The INVITE's arrival stands in for the offer's time:
				// allow for the first arriving late.
				if gap := rung[i].Sub(rung[i-1]); gap < tc.gap*3/4 {
					t.Fatalf("INVITE %d came %v after the phone's %d to INVITE %d; want at least %v", i+1, gap, tc.status, i, tc.gap)
				}
			}
			miss := "agent.missed:1001"
			got := eventsOf(t, s, store.Filter{}, has(miss, miss, miss, tc.after))
			if tc.status == 486 && strings.Contains(strings.Join(got, " "), "agent.state>paused:1001") {
				t.Fatalf("busy answers paused the agent: %v", got)
			}
		})
	}
}

// TestCallersHangingUpWhileRingingDoNotPauseAgent: callers hang up while
// a single-line phone rings for them, each time with the next caller
// waiting. The next INVITE may reach the phone before the CANCEL of the
// last, and the phone answers it 486; that is not the agent's miss
// (max_no_answer is 1 here), and the caller is rung again once the phone
// is free.
func TestCallersHangingUpWhileRingingDoNotPauseAgent(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(agentsYAML, "ring_timeout: 1s, max_no_answer: 1", "ring_timeout: 10s, max_no_answer: 1", 1)
	s := startAcd(t, "-config", writeConfig(t, yaml))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	phone := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Never: true, OneLine: true})
	go func() { // the phone's INVITEs and CANCELs are counted by the log, not here
		for {
			select {
			case <-phone.IncomingCalls():
			case <-phone.Cancelled():
			case <-ctx.Done():
				return
			}
		}
	}()
	const rounds = 12
	cur := dialAs(t, ctx, s, "100", "+14155550100")
	ringingFor(t, ctx, s, "+14155550100")
	for i := 1; i <= rounds; i++ {
		number := fmt.Sprintf("+1415555%04d", 100+i)
		next := dialAs(t, ctx, s, "100", number)
		if err := cur.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		ringingFor(t, ctx, s, number)
		cur = next
	}
	_ = cur.Hangup(ctx)
	busy := 0
	for _, e := range logEvents(t, s) {
		if e.Type != "agent.missed" {
			continue
		}
		p, _ := event.Decode(e)
		m := p.(event.AgentMissed)
		if m.Cause != "busy" || m.Misses != 0 {
			t.Fatalf("a missed offer counted: %+v", m)
		}
		busy++
	}
	t.Logf("%d of %d INVITEs reached the phone before the CANCEL of the last", busy, rounds)
}

// ringingFor waits until the agent 1001 is rung for the caller number,
// failing at once if the agent is paused.
func ringingFor(t *testing.T, ctx context.Context, s *server, number string) {
	t.Helper()
	for {
		callID := ""
		offered := ""
		for _, e := range logEvents(t, s) {
			p, err := event.Decode(e)
			if err != nil {
				continue
			}
			switch p := p.(type) {
			case event.CallerJoined:
				if p.Caller == number {
					callID = e.CallID
				}
			case event.AgentState:
				if e.Agent != "1001" {
					continue
				}
				if p.To == "paused" {
					t.Fatalf("agent 1001 paused (%s) while callers hung up as it rang", p.Cause)
				}
				offered = ""
				if p.To == "offered" {
					offered = e.CallID
				}
			}
		}
		if callID != "" && offered == callID {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("agent 1001 was never rung for %s", number)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
