package dialplan

import (
	"context"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
)

func init() { register("queue", compileQueue) }

// queueNode waits for an agent in a queue (R-DP-2). The * key always exits
// and # is reserved for callback, so neither can be rebound here.
type queueNode struct {
	queue     string
	timeout   time.Duration
	onTimeout string
	onExit    string
}

func compileQueue(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type      string          `yaml:"type"`
		Queue     string          `yaml:"queue"`
		Timeout   config.Duration `yaml:"timeout"`
		OnTimeout string          `yaml:"on_timeout"`
		OnExit    string          `yaml:"on_exit"`
		ExitKey   string          `yaml:"exit_key"`
		Callback  string          `yaml:"callback_key"`
	}
	b.decode(n, &spec)
	if spec.Queue == "" {
		b.fail("queue is missing")
	} else if _, ok := b.cfg.Queues[spec.Queue]; !ok {
		b.fail("queue %q does not exist", spec.Queue)
	}
	if !b.has("timeout") {
		b.fail("timeout is missing: how long the caller waits for an agent, like 300s")
	}
	if spec.ExitKey != "" && spec.ExitKey != "*" {
		b.fail("exit_key cannot be changed: * always leaves a queue")
	}
	if spec.Callback != "" && spec.Callback != "#" {
		b.fail("callback_key cannot be changed: # is the callback key")
	}
	b.connect(spec.OnTimeout, true, "on_timeout")
	b.connect(spec.OnExit, true, "on_exit")
	return &queueNode{queue: spec.Queue, timeout: spec.Timeout.D(), onTimeout: spec.OnTimeout, onExit: spec.OnExit}
}

func (q *queueNode) Run(ctx context.Context, s *State) (string, error) {
	s.waited = true
	if q.exitTypedAhead(s) {
		return q.onExit, nil
	}
	res, err := s.Queues.Wait(ctx, s.Call, q.queue, q.timeout, s.Vars)
	if err != nil {
		return "", err
	}
	return q.outcome(ctx, s, &res)
}

// exitTypedAhead reports whether the caller pressed * before joining, and
// forgets what was typed ahead.
func (q *queueNode) exitTypedAhead(s *State) bool {
	for _, k := range s.typeAhead {
		if k == '*' {
			s.typeAhead = nil
			s.note("queue %s: * pressed before joining", q.queue)
			return true
		}
	}
	s.typeAhead = nil
	return false
}

// outcome is where the wait's result leads.
func (q *queueNode) outcome(ctx context.Context, s *State, res *acd.Result) (string, error) {
	s.Talk += res.Talk
	s.note("queue %s: %s", q.queue, res.Outcome)
	switch res.Outcome {
	case acd.Exit:
		return q.onExit, nil
	case acd.Hangup:
		return "", ErrHungUp
	case acd.Answered:
		return "", nil // the agent's call has ended: so does the caller's
	case acd.CalledBack:
		return "", nil // told they will be called back: the call ends
	case acd.Transferred:
		return s.referred(ctx, res.Transfer, q.onTimeout)
	}
	return q.onTimeout, nil
}

func (*queueNode) typeName() string { return "queue" }
