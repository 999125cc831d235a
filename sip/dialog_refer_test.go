package sip_test

import (
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
)

// TestReferWithoutOwnerIsRefused: a leg nobody lets transfer (a callback's
// customer, or a leg bridged by hand) answers REFER 403 at once, and the
// call goes on.
func TestReferWithoutOwnerIsRefused(t *testing.T) {
	ctx := within(t, 20*time.Second)
	agent := testutil.NewPhone(t)
	caller, _ := bridgedToAgent(t, ctx, agent)
	code, _, err := agent.ReferIncoming(ctx, "600")
	if err != nil || code != 403 {
		t.Fatalf("REFER on a leg that may not transfer: %d %v; want 403", code, err)
	}
	noBye(t, caller, "the caller")
	noBye(t, agent, "the agent")
	_ = caller.Hangup(ctx)
}
