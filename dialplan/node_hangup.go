package dialplan

import (
	"context"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/hangup"
)

func init() { register("hangup", compileHangup) }

// hangupNode ends the call.
type hangupNode struct{}

func compileHangup(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type string `yaml:"type"`
	}
	b.decode(n, &spec)
	return hangupNode{}
}

func (hangupNode) Run(_ context.Context, s *State) (string, error) {
	s.Call.Hangup(hangup.HangupNode)
	s.note("call ends")
	return "", nil
}

func (hangupNode) typeName() string { return "hangup" }
