package flow

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/sip"
)

// TestUnbridgeableCallEndsTheAgentsLeg: when the phones cannot bridge the
// caller to the agent who answered, the agent's leg is hung up at once
// for that reason, which call.ended carries, and the caller's wait ends:
// neither side is left in silence.
func TestUnbridgeableCallEndsTheAgentsLeg(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	r.phones.bridgeErr = errors.New("not a call this server can bridge")
	login(t, r, "1001")
	call := newCaller("c1")
	out := r.wait(context.Background(), call, "support", time.Minute)
	leg := r.nextRing(t).answer()
	if o := outcome(t, out); o != acd.Answered {
		t.Fatalf("Wait returned %v, want answered", o)
	}
	if !leg.hungUp() || leg.EndCause().Code != hangup.BridgeFailed {
		t.Fatalf("the agent's leg: hung up %v, cause %v", leg.hungUp(), leg.EndCause())
	}
	var ended event.CallEnded
	for _, e := range r.log.Await(t, "the call ended", testutil.IsKind("call.ended:1001")) {
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

// TestTransferComesBackWithTheWait: an agent's blind transfer reaches
// the dial plan in what Wait returns, with the target and the talk time
// call.ended recorded, not through any state kept aside.
func TestTransferComesBackWithTheWait(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001", "1002")
	login(t, r, "1001")
	login(t, r, "1002")
	call := newCaller("c1")
	done := make(chan acd.Result, 1)
	go func() {
		res, err := r.f.Wait(context.Background(), call, "support", time.Minute, nil)
		if err != nil {
			panic(err)
		}
		done <- res
	}()
	ring := r.nextRing(t)
	leg := ring.answer()
	other := map[string]string{"1001": "1002", "1002": "1001"}[ring.agent]
	r.log.Await(t, "the caller connected", testutil.IsKind("agent.answered:"+ring.agent))
	// Set by the core's answer before it records it.
	decide := leg.decider()
	if answer := decide(other); answer != sip.TransferAccepted {
		t.Fatalf("the transfer to %s was answered %d", other, answer.Status())
	}
	leg.Hangup(hangup.Transferred)
	var res acd.Result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the caller's wait never ended")
	}
	if res.Outcome != acd.Transferred || res.Transfer != (acd.Transfer{To: other, Agent: other}) {
		t.Fatalf("Wait returned %+v, want a transfer to agent %s", res, other)
	}
	var ended event.CallEnded
	for _, e := range r.log.Await(t, "the call ended", testutil.IsKind("call.ended:"+ring.agent)) {
		if e.Type == "call.ended" {
			if err := json.Unmarshal(e.Data, &ended); err != nil {
				t.Fatal(err)
			}
		}
	}
	if event.Ms(res.Talk) != ended.TalkMS {
		t.Fatalf("Wait's talk time %v, call.ended's %d ms", res.Talk, ended.TalkMS)
	}
}
