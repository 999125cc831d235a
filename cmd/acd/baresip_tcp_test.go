package main

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/store"
)

// TestBaresipAgentsOverTCP: two baresips register over TCP as agents of
// one queue, as desk phones that avoid UDP fragmentation do. Each
// caller's INVITE must go down the connection of the agent it is offered
// to (the phone's own, since a phone behind NAT cannot be dialled back):
// both agents answer, each their own caller, and each caller hears its
// agent's tone.
func TestBaresipAgentsOverTCP(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	s := startAcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, agent := range []string{"1001", "1002"} {
		phone := startBaresip(t, modules, "<sip:"+agent+"@"+s.sip+";transport=tcp>;auth_pass=demo-"+agent+";answermode=auto")
		eventsOf(t, s, store.Filter{Agent: agent}, has("agent.registered:"+agent))
		phone.command(t, "/dial *50")
		eventsOf(t, s, store.Filter{Agent: agent}, has("agent.logged_in:"+agent))
		s.waitLog(t, 15*time.Second, `msg="call ended"`, `why="server hung up`) // after its confirmation
	}
	first := dialAs(t, ctx, s, "100", "+14155550123")
	eventsOf(t, s, store.Filter{}, func(got []string) bool {
		return contains(got, "agent.answered:1001") || contains(got, "agent.answered:1002")
	})
	second := dialAs(t, ctx, s, "100", "+14155550177")
	eventsOf(t, s, store.Filter{}, func(got []string) bool {
		return contains(got, "agent.answered:1001") && contains(got, "agent.answered:1002")
	})
	speechGrows(t, ctx, first, "the first caller (its agent's tone over TCP)")
	speechGrows(t, ctx, second, "the second caller (its agent's tone over TCP)")
	for _, c := range []interface{ Hangup(context.Context) error }{first, second} {
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventsOf(t, s, store.Filter{}, func(got []string) bool {
		return contains(got, "call.ended:1001") && contains(got, "call.ended:1002")
	})
}
