package web

import (
	"testing"

	"github.com/acdserver/acd/dialplan"
)

func TestLayoutRowsByDistanceFromEntry(t *testing.T) {
	g := dialplan.Graph{
		Entry: "menu",
		Nodes: []dialplan.GraphNode{{Name: "bye"}, {Name: "menu"}, {Name: "q"}, {Name: "stray"}, {Name: "gone", Missing: true}},
		Edges: []dialplan.GraphEdge{
			{From: "menu", To: "q", Connector: "choices.1"},
			{From: "menu", To: "gone", Connector: "choices.2", Dangling: true},
			{From: "q", To: "bye", Connector: "on_exit"},
			{From: "q", To: "menu", Connector: "on_timeout"},
		},
	}
	d := layout(g)
	y := map[string]int{}
	for _, n := range d.Nodes {
		y[n.Name] = n.Y
	}
	if !(y["menu"] < y["q"] && y["q"] == y["gone"] && y["q"] < y["bye"] && y["bye"] < y["stray"]) {
		t.Errorf("rows: %v; want menu, then q and gone, then bye, then the unreachable stray", y)
	}
	if len(d.Edges) != 4 {
		t.Fatalf("%d edges drawn; want 4", len(d.Edges))
	}
	dangling := 0
	for _, e := range d.Edges {
		if e.Dangling {
			dangling++
		}
	}
	if dangling != 1 {
		t.Errorf("%d dangling edges; want 1", dangling)
	}
	if d.Width <= 0 || d.Height <= 0 {
		t.Errorf("size %dx%d", d.Width, d.Height)
	}
}

// TestLayoutKeepsLabelsApartAndInside: two connectors between the same
// nodes have their labels apart, and a connector from the last row back
// up stays inside the drawing.
func TestLayoutKeepsLabelsApartAndInside(t *testing.T) {
	g := dialplan.Graph{
		Entry: "hello",
		Nodes: []dialplan.GraphNode{{Name: "hello"}, {Name: "q"}, {Name: "bye"}, {Name: "stray"}},
		Edges: []dialplan.GraphEdge{
			{From: "hello", To: "q", Connector: "next"},
			{From: "q", To: "bye", Connector: "on_timeout"},
			{From: "q", To: "bye", Connector: "on_exit"},
			{From: "stray", To: "hello", Connector: "next"},
		},
	}
	d := layout(g)
	if a, b := d.Edges[1], d.Edges[2]; a.LabelX == b.LabelX && abs(a.LabelY-b.LabelY) < labelH {
		t.Errorf("labels of q to bye at (%d,%d) and (%d,%d): one on the other", a.LabelX, a.LabelY, b.LabelX, b.LabelY)
	}
	for _, e := range d.Edges {
		if e.right > d.Width {
			t.Errorf("connector %s reaches x=%d, past the drawing's width %d", e.Label, e.right, d.Width)
		}
	}
}

func abs(n int) int { return max(n, -n) }
