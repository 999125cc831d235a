package dialplan

import (
	"context"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/schedule"
)

func init() { register("schedule", compileSchedule) }

// scheduleNode routes on whether a schedule is open now.
type scheduleNode struct {
	name   string
	sched  *schedule.Schedule
	open   string
	closed string
}

func compileSchedule(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type     string `yaml:"type"`
		Schedule string `yaml:"schedule"`
		Open     string `yaml:"open"`
		Closed   string `yaml:"closed"`
	}
	b.decode(n, &spec)
	node := &scheduleNode{name: spec.Schedule, open: spec.Open, closed: spec.Closed}
	if sc, ok := b.cfg.Schedules[spec.Schedule]; !ok {
		b.fail("schedule %q does not exist", spec.Schedule)
	} else {
		node.sched = sc.Compiled()
	}
	b.connect(spec.Open, true, "open")
	b.connect(spec.Closed, true, "closed")
	return node
}

func (n *scheduleNode) typeName() string { return "schedule" }

func (n *scheduleNode) Run(_ context.Context, s *State) (string, error) {
	if n.sched.Open(s.now()) {
		s.note("%s is open", n.name)
		return n.open, nil
	}
	s.note("%s is closed", n.name)
	return n.closed, nil
}
