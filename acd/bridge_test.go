package acd

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
)

// TestUnbridgeableCallEndsTheAgentsLeg: when the phones cannot bridge the
// caller to the agent who answered, the agent's leg is hung up at once
// for that reason, which call.ended carries, and the caller's wait ends:
// neither side is left in silence.
func TestUnbridgeableCallEndsTheAgentsLeg(t *testing.T) {
	r := newRig(t, rigConfig("linear", "0s", true), "1001")
	r.phones.bridgeErr = errors.New("not a call this server can bridge")
	login(t, r, "1001")
	call := newCaller("c1")
	out := r.wait(context.Background(), call, "support", time.Minute)
	leg := r.nextRing(t).answer()
	if o := outcome(t, out); o != Answered {
		t.Fatalf("Wait returned %v, want answered", o)
	}
	if !leg.hungUp() || leg.EndCause().Code != hangup.BridgeFailed {
		t.Fatalf("the agent's leg: hung up %v, cause %v", leg.hungUp(), leg.EndCause())
	}
	var ended event.CallEnded
	for _, e := range r.log.await(t, "the call ended", isKind("call.ended:1001")) {
		if e.Type == "call.ended" {
			if err := json.Unmarshal(e.Data, &ended); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ended.EndedBy != "agent" || ended.Reason != "the call could not be bridged" {
		t.Fatalf("call.ended: %+v", ended)
	}
}
