package dialplan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// State is one call's walk through a dial plan.
type State struct {
	Call   Call
	Queues Queuer
	Sounds Sounds
	Log    *slog.Logger
	// Vars holds what collect nodes gathered, for later nodes and queues.
	Vars map[string]string
	// typeAhead holds keys pressed during a prompt, for the next node that
	// reads keys.
	typeAhead []rune
	// waited is set by a node that spent time with the caller; the loop
	// guard counts only steps that did not.
	waited bool
}

// ErrHungUp means the caller went away during a node.
var ErrHungUp = errors.New("caller hung up")

// Run walks the call through plan from its entry until a node ends the
// call or the caller hangs up. It hangs up the call when the walk ends.
func (p *Program) Run(ctx context.Context, plan *Plan, s *State) error {
	if s.Vars == nil {
		s.Vars = map[string]string{}
	}
	s.Log = s.Log.With("call_id", s.Call.ID(), "config_version", p.Version)
	steps := 0
	cur := plan.Entry
	var trail []string
	for cur != "" {
		node := plan.nodes[cur]
		s.Log.Debug("dial plan node", "dialplan", plan.Name, "node", cur)
		s.waited = false
		next, err := node.Run(ctx, s)
		if errors.Is(err, ErrHungUp) {
			s.Log.Info("caller hung up", "dialplan", plan.Name, "node", cur)
			return nil
		}
		if err != nil {
			s.Call.Hangup("error")
			return fmt.Errorf("dial plan %q node %q: %w", plan.Name, cur, err)
		}
		if j, ok := node.(*gotoNode); ok {
			plan = p.plans[j.dialplan]
			next = plan.Entry
		}
		if s.waited {
			steps, trail = 0, trail[:0]
		} else {
			steps++
			trail = append(trail, cur)
			if p.MaxSteps > 0 && steps > p.MaxSteps {
				s.Log.Error("dial plan loop: the call passed through too many nodes without waiting on the caller; ending it",
					"dialplan", plan.Name, "loop", loopOf(trail), "max_steps", p.MaxSteps)
				s.Call.Hangup("dial plan loop")
				return nil
			}
		}
		cur = next
	}
	s.Call.Hangup("end of dial plan")
	return nil
}

// loopOf names the nodes that repeat at the end of a trail.
func loopOf(trail []string) []string {
	last := trail[len(trail)-1]
	for i := len(trail) - 2; i >= 0; i-- {
		if trail[i] == last {
			return trail[i+1:]
		}
	}
	return trail
}

// play plays a prompt and returns early, with the key, if the caller
// presses one; the key also stays in the type-ahead buffer.
func (s *State) play(ctx context.Context, name string) (rune, error) {
	s.waited = true
	if len(s.typeAhead) > 0 {
		return s.typeAhead[0], nil
	}
	done := s.Call.Play(s.Sounds.Get(name), false)
	select {
	case <-done:
		return 0, nil
	case key := <-s.Call.Digits():
		s.typeAhead = append(s.typeAhead, key)
		return key, nil
	case <-s.Call.Done():
		return 0, ErrHungUp
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// key takes the next key pressed, from type-ahead first.
func (s *State) key(ctx context.Context, wait <-chan struct{}) (rune, bool, error) {
	if len(s.typeAhead) > 0 {
		k := s.typeAhead[0]
		s.typeAhead = s.typeAhead[1:]
		return k, true, nil
	}
	s.waited = true
	select {
	case k := <-s.Call.Digits():
		return k, true, nil
	case <-wait:
		return 0, false, nil
	case <-s.Call.Done():
		return 0, false, ErrHungUp
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
}
