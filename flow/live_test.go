package flow

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/sip"
)

// TestLiveCallIsFoundByAgent: while an agent is on a call, monitoring
// and recording find it by the agent, with the caller and the agent's
// leg; once it ends, it is gone, and a room is refused with the cause.
func TestLiveCallIsFoundByAgent(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	login(t, r, "1001")
	if _, _, err := r.f.Room("1001"); !errors.Is(err, ErrNoLiveCall) {
		t.Fatalf("the room of an agent on no call: %v", err)
	}
	call := newCaller("c1")
	out := r.wait(context.Background(), call, "support", time.Minute)
	leg := r.nextRing(t).answer()
	r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:1001"))
	r.awaitLive(t, "1001")
	l, ok := r.f.Live("1001")
	if !ok || l.Customer != call || l.AgentLeg != leg || l.Interaction.ID != "c1" || l.Interaction.Queue != "support" {
		t.Fatalf("live call of 1001: %+v %v", l, ok)
	}
	if _, _, err := r.f.Room("1001"); !errors.Is(err, sip.ErrNotBridgeable) {
		t.Fatalf("the room of a call the phones cannot conference: %v", err)
	}
	call.hangup()
	outcome(t, out)
	r.log.Await(t, "the call ended", testutil.IsKind("call.ended:1001"))
	if _, ok := r.f.Live("1001"); ok {
		t.Fatal("the call ended, and is still live")
	}
}
