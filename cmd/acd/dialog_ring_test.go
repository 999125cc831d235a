package main

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestPhoneThatDiesWhileRingingDoesNotHoldTheCaller: the first agent's
// phone rings (180) and then drops off the network, so that the CANCEL at
// the end of its ring is never answered. The caller is offered to the
// next agent at once, not after SIP's 32 s CANCEL timeout.
func TestPhoneThatDiesWhileRingingDoesNotHoldTheCaller(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dying := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Never: true}) // linear: rung first
	good := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})

	caller := dial(t, ctx, s)
	incoming(t, ctx, dying)
	rang := time.Now()
	dying.Silence()
	incoming(t, ctx, good)
	// The support queue rings for 1 s; the CANCEL that follows must not
	// keep the caller out of distribution.
	if d := time.Since(rang); d > 4*time.Second {
		t.Fatalf("the next agent was rung %v after the first phone died; want about the 1 s ring timeout", d)
	}
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "caller.offered:1001", "agent.missed:1001", "caller.offered:1002", "agent.answered:1002")
	_ = caller.Hangup(ctx)
}
