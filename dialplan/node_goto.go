package dialplan

import (
	"context"

	"gopkg.in/yaml.v3"
)

func init() { register("goto", compileGoto) }

// gotoNode continues the call at the entry of another dial plan.
type gotoNode struct {
	dialplan string
}

func compileGoto(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type     string `yaml:"type"`
		Dialplan string `yaml:"dialplan"`
	}
	b.decode(n, &spec)
	if _, ok := b.cfg.Dialplans[spec.Dialplan]; !ok {
		b.fail("dialplan %q does not exist", spec.Dialplan)
	}
	return &gotoNode{dialplan: spec.Dialplan}
}

// Run continues the call at the other plan's entry.
func (g *gotoNode) Run(_ context.Context, s *State) (string, error) {
	s.jump = s.program.plans[g.dialplan]
	s.note("to dial plan %s", g.dialplan)
	return "", nil
}

func (*gotoNode) typeName() string { return "goto" }
