package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
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
