package dialplan

import (
	"context"
	"fmt"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/sip"
)

// Simulate walks a call to number through the program without SIP or
// time passing: prompts finish at once, keys come from digits whenever a
// node reads one, and every wait for a key or an agent times out once the
// keys run out. Queues have no agents; * in a queue leaves it. Each step
// goes to trace.
func Simulate(ctx context.Context, p *Program, number, digits string, at time.Time, s *State) error {
	plan, ok := p.Route(number)
	if !ok {
		return fmt.Errorf("number %q is not in numbers", number)
	}
	call := &simCall{keys: make(chan rune, len(digits)), done: make(chan struct{})}
	for _, k := range digits {
		if _, ok := media.DigitEvent(k); !ok || k == '!' {
			return fmt.Errorf("digit %q: want 0-9, *, #, A-D", k)
		}
		call.keys <- k
	}
	s.Call, s.Queues = call, simQueues{}
	s.Now = func() time.Time { return at }
	s.After = func(time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		c <- at
		return c
	}
	return p.Run(ctx, plan, s)
}

type simCall struct {
	keys chan rune
	done chan struct{}
}

func (c *simCall) ID() string             { return "simulation" }
func (c *simCall) Party() acd.Party       { return acd.Party{Number: "simulator"} }
func (c *simCall) EndCause() hangup.Cause { return hangup.Cause{} }

// Play finishes at once: no time passes in a simulation.
func (c *simCall) Play(*media.Sound, bool) <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

func (c *simCall) Digits() <-chan rune   { return c.keys }
func (c *simCall) Done() <-chan struct{} { return c.done }
func (c *simCall) Hangup(hangup.Reason)  {}

// BridgeEnd: a simulated call is never bridged.
func (c *simCall) BridgeEnd() *sip.BridgeEnd { return nil }

// simQueues has no agents: * leaves, anything else waits until timeout.
type simQueues struct{}

// RingAgent: in a simulation no agent answers.
func (simQueues) RingAgent(context.Context, acd.Channel, string, time.Duration) (acd.Result, error) {
	return acd.Result{Outcome: acd.Timeout}, nil
}

func (simQueues) Wait(_ context.Context, c acd.Channel, _ string, _ time.Duration, _ map[string]string) (acd.Result, error) {
	for {
		select {
		case k := <-c.Digits():
			if k == '*' {
				return acd.Result{Outcome: acd.Exit}, nil
			}
		default:
			return acd.Result{Outcome: acd.Timeout}, nil
		}
	}
}
