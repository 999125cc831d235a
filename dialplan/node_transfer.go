package dialplan

import (
	"context"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/acd"
)

func init() { register("transfer", compileTransfer) }

// transferNode sends the call to another number of this server (its dial
// plan runs), to a queue by its extension, or to an agent. Only targets the
// configuration knows are accepted, so a dial plan can never dial out to an
// arbitrary number. When the target cannot take the call, next runs.
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
	if ref, ok := b.cfg.Numbers[spec.To]; ok {
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
		out, err := s.Queues.Wait(ctx, s.Call, t.queue, transferQueueWait, s.Vars)
		if err != nil {
			return "", err
		}
		s.note("to queue %s: %s", t.queue, out)
		if out == acd.Hangup {
			return "", ErrHungUp
		}
		return t.next, nil
	}
	// Ringing an agent directly needs an outbound leg, which the agent
	// distribution brings; until then the caller goes on to next.
	s.Log.Warn("transfer to an agent is not available yet", "call_id", s.Call.ID(), "agent", t.agent)
	s.note("agent %s cannot be rung", t.agent)
	return t.next, nil
}
