package dialplan

import (
	"reflect"
	"testing"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/prompts"
)

// TestSketchKeepsDanglingConnectors: the graph of a plan with a
// connector to a node that does not exist still has the connector,
// marked dangling, and the missing node; the rest is drawn as compiled.
func TestSketchKeepsDanglingConnectors(t *testing.T) {
	src := header + `      a: {type: menu, prompt: welcome, choices: {"1": q, "2": gone}, on_timeout: bye, on_invalid: bye}
      q: {type: queue, queue: support, timeout: 5s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`
	cfg, _ := config.Parse("plan.yaml", []byte(src))
	lib, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	g, ok := Sketch(cfg, lib, "main")
	if !ok {
		t.Fatal("no graph for main")
	}
	var nodes []string
	for _, n := range g.Nodes {
		label := n.Name + ":" + n.Type
		if n.Missing {
			label = n.Name + ":missing"
		}
		nodes = append(nodes, label)
	}
	if want := []string{"a:menu", "bye:hangup", "q:queue", "gone:missing"}; !reflect.DeepEqual(nodes, want) {
		t.Errorf("nodes %v; want %v", nodes, want)
	}
	dangling := 0
	for _, e := range g.Edges {
		if e.Dangling {
			dangling++
			if e.From != "a" || e.To != "gone" || e.Connector != "choices.2" || e.Line != 9 {
				t.Errorf("dangling connector %+v; want a choices.2 -> gone on line 9", e)
			}
		}
	}
	if dangling != 1 || len(g.Edges) != 6 {
		t.Errorf("edges %+v; want 6 with one dangling", g.Edges)
	}
	if _, ok := Sketch(cfg, lib, "nope"); ok {
		t.Error("a graph for a plan that does not exist")
	}
}
