package main

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestHungUpTalkTimeMatchesCallEnded: a caller bridged to an agent for a
// known time, the call then ended by either side. call.hungup carries the
// talk time that call.ended measured for the same conversation, not 0
// because the caller's end was recorded before the agent's call was.
func TestHungUpTalkTimeMatchesCallEnded(t *testing.T) {
	t.Parallel()
	const talk = 600 * time.Millisecond
	for _, side := range []string{"caller", "agent"} {
		t.Run(side, func(t *testing.T) {
			t.Parallel()
			s := startAcd(t, "-config", writeConfig(t, agentsYAML))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 50 * time.Millisecond})
			caller := dial(t, ctx, s)
			incoming(t, ctx, agent)
			eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
			// The conversation itself: how long the two talk.
			time.Sleep(talk)
			var err error
			if side == "caller" {
				err = caller.Hangup(ctx)
			} else {
				err = agent.HangupIncoming(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			eventsOf(t, s, store.Filter{}, func(evs []string) bool {
				return has("call.ended:1001")(evs) && has("call.hungup:")(evs)
			})
			ended := decoded[event.CallEnded](t, s, "call.ended")
			hungup := decoded[event.CallHungUp](t, s, "call.hungup")
			if ended.TalkMS < talk.Milliseconds() {
				t.Fatalf("call.ended talk_ms %d, but they talked %v", ended.TalkMS, talk)
			}
			if hungup.TalkMS != ended.TalkMS {
				t.Fatalf("call.hungup talk_ms %d, call.ended talk_ms %d for the same conversation (ended by the %s)", hungup.TalkMS, ended.TalkMS, side)
			}
		})
	}
}

// decoded reads the one event of type kind from the server's log.
func decoded[P event.Payload](t *testing.T, s *server, kind string) P {
	t.Helper()
	var found []P
	for _, e := range logEvents(t, s) {
		if e.Type != kind {
			continue
		}
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, p.(P))
	}
	if len(found) != 1 {
		t.Fatalf("%d %s events, want 1", len(found), kind)
	}
	return found[0]
}
