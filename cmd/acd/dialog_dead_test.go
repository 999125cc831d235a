package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// TestDeadAgentPhoneEndsTheCall: the agent's phone loses power in the
// middle of a call. Its silence on RTP is noticed as a caller's would be:
// the caller gets a BYE instead of dead air, the agent goes to wrap-up
// instead of staying on a call forever, and the event log says why.
func TestDeadAgentPhoneEndsTheCall(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "media: {rtp_timeout: 2s}\n"+agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	talk, stopTalking := context.WithCancel(ctx)
	defer stopTalking()
	caller, agent := bridgedAgent(t, ctx, talk, s)
	caller.SendTone(ctx, media.PCMU)
	agent.Silence()
	died := time.Now()
	waitBye(t, ctx, caller)
	if d := time.Since(died); d > 6*time.Second {
		t.Fatalf("the caller was hung up %v after the agent's phone died; the RTP timeout is 2 s", d)
	}
	got := eventsOf(t, s, store.Filter{}, has("call.ended:1001", "agent.state>wrap-up:1001"))
	expectSequence(t, got, "agent.answered:1001", "call.ended:1001", "agent.state>wrap-up:1001")
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, err := l.Events(ctx, store.Filter{Agent: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == "call.ended" {
			var ended event.CallEnded
			if err := json.Unmarshal(e.Data, &ended); err != nil || ended.EndedBy != "agent" || !strings.Contains(ended.Reason, "no RTP") {
				t.Fatalf("call.ended says %s; want the agent's side, for want of RTP", e.Data)
			}
			return
		}
	}
	t.Fatal("no call.ended event")
}
