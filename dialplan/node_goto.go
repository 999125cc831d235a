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

// Run returns no node: the engine switches plans.
func (g *gotoNode) Run(context.Context, *State) (string, error) { return "", nil }
