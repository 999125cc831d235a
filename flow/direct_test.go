package flow

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestRingAgent: a caller sent straight to an agent (a dial plan's
// transfer node) is connected when the agent's phone answers, and comes
// back with Timeout when the agent cannot take it (not ready, or the
// phone refuses), the agent ready again; a caller who hangs up while
// it rings comes back with Hangup. Each way is recorded.
func TestRingAgent(t *testing.T) {
	for _, tt := range []struct {
		name  string
		login bool
		phone func(*testing.T, *rig, *fakeCaller)
		want  acd.Outcome
		event string
	}{
		{"answered", true, func(t *testing.T, r *rig, c *fakeCaller) {
			r.nextRing(t).answer()
			r.log.Await(t, "the answer", testutil.IsKind("transfer.answered:1001"))
			c.hangup()
		}, acd.Answered, "call.ended:1001"},
		{"not ready", false, func(*testing.T, *rig, *fakeCaller) {}, acd.Timeout, "transfer.unavailable:1001"},
		{"declined", true, func(t *testing.T, r *rig, _ *fakeCaller) { r.nextRing(t).refuse(&causeErr{hangup.RingDeclined}) }, acd.Timeout, "transfer.failed:1001"},
		{"caller hung up", true, func(t *testing.T, r *rig, c *fakeCaller) {
			ring := r.nextRing(t)
			c.hangup()
			<-ring.ctx.Done()
		}, acd.Hangup, "transfer.failed:1001"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testutil.QueueConfig("linear", "1h", true), "1001")
			if tt.login {
				login(t, r, "1001")
			}
			call := newCaller("c1")
			out := make(chan acd.Result, 1)
			go func() {
				res, err := r.f.RingAgent(context.Background(), call, "1001", time.Minute)
				if err != nil {
					panic(err)
				}
				out <- res
			}()
			tt.phone(t, r, call)
			var res acd.Result
			select {
			case res = <-out:
			case <-time.After(5 * time.Second):
				t.Fatal("RingAgent never returned")
			}
			if res.Outcome != tt.want {
				t.Fatalf("RingAgent: %v, want %v", res.Outcome, tt.want)
			}
			r.log.Await(t, tt.event, testutil.IsKind(tt.event))
			if tt.login {
				// No queue: no wrap-up after a direct call.
				r.log.Await(t, "the agent ready again", func(e store.Event) bool {
					return testutil.Key(e) == "agent.state>ready:1001" && e.Seq > 3
				})
				mustState(t, r.c, "1001", acd.Ready)
			}
			chained(t, r.log.All())
		})
	}
}
