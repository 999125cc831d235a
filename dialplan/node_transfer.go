package dialplan

import (
	"context"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/acd"
)

func init() { register("transfer", compileTransfer) }

// transferNode sends the call to another number of this server (its dial
// plan runs), to a queue by its extension, or to an agent's phone. Only
// targets the configuration knows are accepted, so a dial plan can never
// dial out to an arbitrary number. When the target cannot take the call
// (agent not ready, no answer in 30 s), next runs.
type transferNode struct {
	to    string
	plan  string // a number's dial plan
	queue string // a queue's extension
	agent string // an agent's id
	next  string
}

// transferQueueWait is how long a caller transferred to a queue waits.
const transferQueueWait = 5 * time.Minute

func compileTransfer(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type string `yaml:"type"`
		To   string `yaml:"to"`
		Next string `yaml:"next"`
	}
	b.decode(n, &spec)
	t := &transferNode{to: spec.To, next: spec.Next}
	if ref, _, ok := b.cfg.Routes().Route(spec.To); ok {
		t.plan = ref.Name
	}
	for name, q := range b.cfg.Queues {
		if q.Extension != "" && q.Extension == spec.To {
			t.queue = name
		}
	}
	if _, ok := b.cfg.Agents[spec.To]; ok {
		t.agent = spec.To
	}
	if spec.To == "" {
		b.fail("to is missing: a number, a queue extension or an agent")
	} else if t.plan == "" && t.queue == "" && t.agent == "" {
		b.fail("to %q is neither a number in numbers, a queue extension nor an agent", spec.To)
	}
	b.connect(spec.Next, true, "next")
	return t
}

func (t *transferNode) typeName() string { return "transfer" }

func (t *transferNode) Run(ctx context.Context, s *State) (string, error) {
	switch {
	case t.plan != "":
		s.jump = s.program.plans[t.plan]
		s.note("to number %s (dial plan %s)", t.to, t.plan)
		return "", nil
	case t.queue != "":
		s.waited = true
		res, err := s.Queues.Wait(ctx, s.Call, t.queue, transferQueueWait, s.Vars)
		if err != nil {
			return "", err
		}
		s.Talk += res.Talk
		s.note("to queue %s: %s", t.queue, res.Outcome)
		switch res.Outcome {
		case acd.Hangup:
			return "", ErrHungUp
		case acd.Transferred:
			return s.referred(ctx, res.Transfer, t.next)
		}
		return t.next, nil
	}
	s.waited = true
	res, err := s.Queues.RingAgent(ctx, s.Call, t.agent, transferRingTimeout)
	if err != nil {
		return "", err
	}
	s.Talk += res.Talk
	s.note("to agent %s: %s", t.agent, res.Outcome)
	switch res.Outcome {
	case acd.Hangup:
		return "", ErrHungUp
	case acd.Answered:
		return "", nil // the agent's call has ended: so does the caller's
	case acd.Transferred:
		return s.referred(ctx, res.Transfer, t.next)
	}
	return t.next, nil
}

// referred carries out a transfer an agent made of this caller, as a
// transfer node to the same target would: to the queue, the agent or the
// number the agent's phone named, which the distributor has checked is
// one of ours. otherwise runs when the target cannot take the call.
func (s *State) referred(ctx context.Context, tr acd.Transfer, otherwise string) (string, error) {
	t := &transferNode{to: tr.To, queue: tr.Queue, agent: tr.Agent, next: otherwise}
	if tr.Queue == "" && tr.Agent == "" {
		plan, ok := s.program.Route(tr.To)
		if !ok {
			// Reloaded away since the server started.
			s.Log.Warn("transfer to a number no dial plan routes now", "to", tr.To)
			return otherwise, nil
		}
		t.plan = plan.Name
	}
	s.Log.Info("caller transferred by the agent", "to", tr.To)
	return t.Run(ctx, s)
}

// transferRingTimeout is how long an agent's phone rings for a transfer.
const transferRingTimeout = 30 * time.Second
