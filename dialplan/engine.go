package dialplan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/acdserver/acd/hangup"
)

// Step is one node a call passed through, for tracing and simulation.
type Step struct {
	Plan, Node, Type string
	// Detail says what happened there ("key 1", "open", "timeout").
	Detail string
	// Next is the node the call goes to; empty when the call ends.
	Next string
}

// State is one call's walk through a dial plan.
type State struct {
	Call   Call
	Queues Queuer
	Sounds Sounds
	Log    *slog.Logger
	// Now and After are the clock; nil means the real one. Simulation
	// replaces them so that no time passes.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Trace, when set, is told of every step.
	Trace func(Step)
	// Vars holds what collect nodes gathered, for later nodes and queues.
	Vars map[string]string
	// Talk is how long the call has spent bridged to agents, across
	// every queue and agent it reached.
	Talk time.Duration
	// typeAhead holds keys pressed during a prompt, for the next node that
	// reads keys.
	typeAhead []rune
	// waited is set by a node that spent time with the caller; the loop
	// guard counts only steps that did not.
	waited bool
	// detail is what the current node noted for the trace.
	detail string
	// logged, when set, replaces detail in the log: see noteCollected.
	logged string
	// jump, when set by a node, continues the call in another dial plan.
	jump    *Plan
	program *Program
}

// note records what a node did, for the trace and the debug log.
func (s *State) note(format string, args ...any) { s.detail = fmt.Sprintf(format, args...) }

func (s *State) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *State) after(d time.Duration) <-chan time.Time {
	if s.After != nil {
		return s.After(d)
	}
	return time.After(d)
}

// ErrHungUp means the caller went away during a node.
var ErrHungUp = errors.New("caller hung up")

// Run walks the call through plan from its entry until a node ends the
// call or the caller hangs up. It hangs up the call when the walk ends.
//
// A waiting caller's goroutine stays parked under Run for the whole
// wait, so Run keeps its own frame small: what it does between two
// nodes (logging, the trace, the loop guard) is in advance.
func (p *Program) Run(ctx context.Context, plan *Plan, s *State) error {
	p.begin(s)
	w := &walk{}
	cur := plan.Entry
	for cur != "" {
		node := plan.nodes[cur]
		s.waited, s.detail, s.logged, s.jump = false, "", "", nil
		next, err := node.Run(ctx, s)
		var end bool
		if plan, cur, end, err = p.advance(s, w, plan, cur, node, next, err); end {
			return err
		}
	}
	s.Call.Hangup(hangup.EndOfDialPlan)
	return nil
}

// walk is what the loop guard counts: the steps since the caller last
// waited, and the nodes they passed through.
type walk struct {
	steps int
	trail []string
}

func (p *Program) begin(s *State) {
	if s.Vars == nil {
		s.Vars = map[string]string{}
	}
	s.program = p
	s.Log = s.Log.With("call_id", s.Call.ID(), "config_version", p.Version)
}

// advance takes the walk on from node cur of plan, which returned next
// and err: it gives the plan and node to run next, or end with the error
// Run returns.
func (p *Program) advance(s *State, w *walk, plan *Plan, cur string, node Node, next string, err error) (*Plan, string, bool, error) {
	if errors.Is(err, ErrHungUp) {
		s.Log.Info("caller hung up", "dialplan", plan.Name, "node", cur)
		s.trace(plan, cur, node, "caller hung up", "")
		return plan, "", true, nil
	}
	if err != nil {
		s.Call.Hangup(hangup.DialPlanError)
		return plan, "", true, fmt.Errorf("dial plan %q node %q: %w", plan.Name, cur, err)
	}
	from := plan
	if s.jump != nil {
		plan, next = s.jump, s.jump.Entry
	}
	did := s.detail
	if s.logged != "" {
		did = s.logged
	}
	s.Log.Debug("dial plan node", "dialplan", from.Name, "node", cur, "did", did, "next", next)
	s.trace(from, cur, node, s.detail, qualified(from, plan, next))
	if s.waited {
		w.steps, w.trail = 0, w.trail[:0]
	} else {
		w.steps++
		w.trail = append(w.trail, from.Name+"/"+cur)
		if p.MaxSteps > 0 && w.steps > p.MaxSteps {
			s.Log.Error("dial plan loop: the call passed through too many nodes without waiting on the caller; ending it",
				"dialplan", plan.Name, "loop", loopOf(w.trail), "max_steps", p.MaxSteps)
			s.Call.Hangup(hangup.DialPlanLoop)
			return plan, "", true, nil
		}
	}
	return plan, next, false, nil
}

func (s *State) trace(plan *Plan, name string, node Node, detail, next string) {
	if s.Trace != nil {
		s.Trace(Step{Plan: plan.Name, Node: name, Type: typeOf(node), Detail: detail, Next: next})
	}
}

// qualified names a node, with its plan when the call changed plans.
func qualified(from, to *Plan, node string) string {
	if node == "" || from == to {
		return node
	}
	return to.Name + "/" + node
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
		return 0, nil // already over (simulation)
	default:
	}
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
func (s *State) key(ctx context.Context, wait <-chan time.Time) (rune, bool, error) {
	if len(s.typeAhead) > 0 {
		k := s.typeAhead[0]
		s.typeAhead = s.typeAhead[1:]
		return k, true, nil
	}
	s.waited = true
	select {
	case k := <-s.Call.Digits():
		return k, true, nil // a key already pressed wins over a timer already run out
	default:
	}
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
