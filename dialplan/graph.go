package dialplan

import (
	"sort"

	"github.com/acdserver/acd/config"
)

// Graph is a dial plan as the editor draws it: its nodes and the
// connectors between them. It is built from a plan with errors too, so
// that a connector leading nowhere can be seen: it is kept, marked
// dangling, towards a node marked missing.
type Graph struct {
	Entry string
	Nodes []GraphNode // by name, the missing ones after
	Edges []GraphEdge // in node order, then connector order
}

// GraphNode is one node; Missing is a name a connector leads to that no
// node has.
type GraphNode struct {
	Name, Type string
	Line       int
	Missing    bool
}

// GraphEdge is one connector.
type GraphEdge struct {
	From, Connector, To string
	Line                int
	Dangling            bool
}

// Sketch draws the dial plan name of cfg. The node types read their
// connectors as they compile; the errors they find are not Sketch's to
// report (Compile does), so they are dropped here.
func Sketch(cfg *config.Config, sounds Sounds, name string) (Graph, bool) {
	d, ok := cfg.Dialplans[name]
	if !ok || d == nil {
		return Graph{}, false
	}
	g := Graph{Entry: d.Entry}
	var errs config.Errors
	names := make([]string, 0, len(d.Nodes))
	for n := range d.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, nodeName := range names {
		n := d.Nodes[nodeName]
		typ := nodeType(&n)
		g.Nodes = append(g.Nodes, GraphNode{Name: nodeName, Type: typ, Line: n.Line})
		compile, ok := nodeTypes[typ]
		if !ok {
			continue
		}
		b := &builder{cfg: cfg, sounds: sounds, errs: &errs, plan: name, node: nodeName, line: n.Line, yaml: &n}
		compile(b, &n)
		edges := b.edges
		sort.SliceStable(edges, func(i, j int) bool { return edges[i].line < edges[j].line })
		for _, e := range edges {
			_, exists := d.Nodes[e.target]
			g.Edges = append(g.Edges, GraphEdge{From: e.from, Connector: e.connector, To: e.target, Line: e.line, Dangling: !exists})
		}
	}
	missing := map[string]bool{}
	for _, e := range g.Edges {
		if e.Dangling && !missing[e.To] {
			missing[e.To] = true
			g.Nodes = append(g.Nodes, GraphNode{Name: e.To, Missing: true})
		}
	}
	if _, ok := d.Nodes[d.Entry]; d.Entry != "" && !ok && !missing[d.Entry] {
		g.Nodes = append(g.Nodes, GraphNode{Name: d.Entry, Missing: true})
	}
	return g, true
}
