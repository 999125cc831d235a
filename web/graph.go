package web

import (
	"fmt"
	"sort"

	"github.com/acdserver/acd/dialplan"
)

// drawing is a dial plan graph laid out for SVG: nodes in rows by their
// distance from the entry, connectors as lines from a node's foot to the
// next one's head (or curving round the side when they lead back up).
type drawing struct {
	Width, Height int
	Nodes         []drawnNode
	Edges         []drawnEdge
}

type drawnNode struct {
	X, Y, W, H    int
	Name, Type    string
	Entry, Absent bool
}

type drawnEdge struct {
	Path           string
	LabelX, LabelY int
	Label          string
	Dangling       bool
	// right is the rightmost point the connector and its label reach.
	right int
}

const (
	nodeW, nodeH = 150, 42
	gapX, gapY   = 40, 56
	margin       = 20
	// labelH is a label's line height, and graphLabelCharW the width of its
	// widest character, at the graph's 12px font.
	labelH, graphLabelCharW = 14, 8
)

// layout places a graph: rows by breadth-first distance from the entry,
// nodes nobody reaches in a last row, each row in name order.
func layout(g dialplan.Graph) drawing {
	rank := map[string]int{}
	next := map[string][]string{}
	for _, e := range g.Edges {
		next[e.From] = append(next[e.From], e.To)
	}
	if g.Entry != "" {
		rank[g.Entry] = 0
		queue := []string{g.Entry}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, to := range next[cur] {
				if _, seen := rank[to]; !seen {
					rank[to] = rank[cur] + 1
					queue = append(queue, to)
				}
			}
		}
	}
	deepest := -1
	for _, r := range rank {
		deepest = max(deepest, r)
	}
	rows := map[int][]dialplan.GraphNode{}
	for _, n := range g.Nodes {
		r, ok := rank[n.Name]
		if !ok {
			r = deepest + 1
		}
		rows[r] = append(rows[r], n)
	}
	order := make([]int, 0, len(rows))
	for r := range rows {
		order = append(order, r)
	}
	sort.Ints(order)
	d := drawing{}
	at := map[string]drawnNode{}
	widest := 0
	for _, r := range order {
		widest = max(widest, len(rows[r]))
	}
	d.Width = 2*margin + widest*nodeW + max(widest-1, 0)*gapX
	for i, r := range order {
		row := rows[r]
		sort.SliceStable(row, func(a, b int) bool { return row[a].Name < row[b].Name })
		rowW := len(row)*nodeW + (len(row)-1)*gapX
		x0 := (d.Width - rowW) / 2
		for j, n := range row {
			dn := drawnNode{X: x0 + j*(nodeW+gapX), Y: margin + i*(nodeH+gapY), W: nodeW, H: nodeH,
				Name: n.Name, Type: n.Type, Entry: n.Name == g.Entry, Absent: n.Missing}
			at[n.Name] = dn
			d.Nodes = append(d.Nodes, dn)
		}
	}
	d.Height = 2*margin + len(order)*nodeH + max(len(order)-1, 0)*gapY
	// Connectors joining the same two nodes share a path: their labels
	// are stacked, centred on where one alone would be.
	type pair struct{ from, to string }
	parallel, drawn := map[pair]int{}, map[pair]int{}
	for _, e := range g.Edges {
		parallel[pair{e.From, e.To}]++
	}
	for _, e := range g.Edges {
		from, ok1 := at[e.From]
		to, ok2 := at[e.To]
		if !ok1 || !ok2 {
			continue
		}
		k := pair{e.From, e.To}
		de := edgePath(from, to, e)
		de.LabelY += (2*drawn[k] - (parallel[k] - 1)) * labelH / 2
		drawn[k]++
		d.Edges = append(d.Edges, de)
		// A connector round the side (from a node of the last row back
		// up, say) stays inside the drawing.
		d.Width = max(d.Width, de.right+margin)
	}
	return d
}

// edgePath draws one connector: straight down to a lower row, or round
// the right-hand side back up (a loop, or "try again").
func edgePath(from, to drawnNode, e dialplan.GraphEdge) drawnEdge {
	x1, y1 := from.X+from.W/2, from.Y+from.H
	x2, y2 := to.X+to.W/2, to.Y
	if to.Y > from.Y {
		lx := (x1 + x2) / 2
		return drawnEdge{Path: fmt.Sprintf("M%d %d L%d %d", x1, y1, x2, y2), LabelX: lx, LabelY: (y1+y2)/2 - 3,
			Label: e.Connector, Dangling: e.Dangling, right: max(x1, x2, lx+labelWidth(e.Connector)/2)}
	}
	// Back up (or across): leave from the right side, arrive at the right side.
	sx, sy := from.X+from.W, from.Y+from.H/2
	tx, ty := to.X+to.W, to.Y+to.H/2
	bend := max(sx, tx) + gapX
	return drawnEdge{Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", sx, sy, bend, sy, bend, ty, tx, ty),
		LabelX: bend - 10, LabelY: (sy + ty) / 2, Label: e.Connector, Dangling: e.Dangling,
		right: max(bend, bend-10+labelWidth(e.Connector)/2)}
}

// labelWidth is at most how wide a label is drawn.
func labelWidth(s string) int { return len(s) * graphLabelCharW }
