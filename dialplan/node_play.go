package dialplan

import (
	"context"

	"gopkg.in/yaml.v3"
)

func init() { register("play", compilePlay) }

// playNode plays a prompt, then goes on. A key pressed during the prompt
// cuts it short and is kept for the next node that reads keys.
type playNode struct {
	prompt string
	next   string
}

func compilePlay(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type   string `yaml:"type"`
		Prompt string `yaml:"prompt"`
		Next   string `yaml:"next"`
	}
	b.decode(n, &spec)
	b.prompt("prompt", spec.Prompt)
	b.connect(spec.Next, true, "next")
	return &playNode{prompt: spec.Prompt, next: spec.Next}
}

func (p *playNode) Run(ctx context.Context, s *State) (string, error) {
	key, err := s.play(ctx, p.prompt)
	if key != 0 {
		s.note("%s, cut short by key %c", p.prompt, key)
	} else {
		s.note("%s", p.prompt)
	}
	return p.next, err
}

func (*playNode) typeName() string { return "play" }
