package web

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/acdserver/acd/report"
)

func TestChartsScaleToTheFigures(t *testing.T) {
	c := drawBars([]string{"a", "b", "c"}, []int{2, 4, 0}, []int{2, 0, 0}, [2]string{"answered", "abandoned"})
	if c.Max != 4 {
		t.Fatalf("max %d; want 4", c.Max)
	}
	if c.Bars[1].H1 != barAreaH || c.Bars[0].H1+c.Bars[0].H2 != barAreaH || c.Bars[2].H1 != 0 {
		t.Errorf("bar heights %+v; want the largest stack full height and an empty bar for 0", c.Bars)
	}
	if c.Bars[0].Y2+c.Bars[0].H2 != c.Bars[0].Y1 {
		t.Errorf("the second series does not sit on the first: %+v", c.Bars[0])
	}

	m := drawHeatMap([]report.HourCell{{Weekday: 0, Hour: 9, Offered: 40}, {Weekday: 4, Hour: 17, Offered: 10}, {Weekday: 6, Hour: 3}})
	levels := map[int]int{}
	for _, cell := range m.Cells {
		levels[cell.Offered] = cell.Level
	}
	if levels[40] != 5 || levels[10] != 2 || levels[0] != 0 {
		t.Errorf("heat levels %v; want 5 for the busiest hour, 2 for a quarter of it, 0 for none", levels)
	}

	s := drawAgentStates([]report.AgentRow{{Agent: "a", AgentTotals: report.AgentTotals{ReadyS: 30, OnCallS: 30}}, {Agent: "b", AgentTotals: report.AgentTotals{PausedS: 30}}})
	if w := s.Rows[0].Parts[0].W + s.Rows[0].Parts[1].W; w != stateBarW {
		t.Errorf("the longest agent's bar is %d wide; want %d", w, stateBarW)
	}
	if s.Rows[1].Parts[0].W != stateBarW/2 || s.Rows[1].Parts[0].Class != "s-paused" {
		t.Errorf("half the time paused drawn as %+v", s.Rows[1].Parts[0])
	}
}

// TestChartLabelsKeepApart: whatever the number of bars, each label drawn
// ends, at the widest its characters can be, before the next one begins;
// an agent's name too long for the state chart's margin is shortened.
func TestChartLabelsKeepApart(t *testing.T) {
	for _, n := range []int{3, 7, 12, 23, 31, 62, 92} {
		labels := make([]string, n)
		for i := range labels {
			labels[i] = fmt.Sprintf("12-%02d", i%31+1)
		}
		c := drawBars(labels, make([]int, n), make([]int, n), [2]string{"a", "b"})
		for i := 1; i < len(c.Labels); i++ {
			prev := c.Labels[i-1]
			if end := prev.X + utf8.RuneCountInString(prev.Text)*labelCharW; end > c.Labels[i].X {
				t.Errorf("%d bars: label %q ends at %d, past %q at %d", n, prev.Text, end, c.Labels[i].Text, c.Labels[i].X)
			}
		}
	}
	s := drawAgentStates([]report.AgentRow{{Agent: "1003", Name: "Caroline Vandenberghe-Fitzgerald", AgentTotals: report.AgentTotals{ReadyS: 30}}})
	if w := utf8.RuneCountInString(s.Rows[0].Label) * labelCharW; w > stateLabelW || !strings.HasSuffix(s.Rows[0].Label, "…") {
		t.Errorf("the long name is drawn as %q, %d wide; want it shortened with … within %d", s.Rows[0].Label, w, stateLabelW)
	}
	if !strings.HasPrefix(s.Rows[0].Parts[0].Title, "Caroline Vandenberghe-Fitzgerald:") {
		t.Errorf("the bar's title %q does not name the agent whole", s.Rows[0].Parts[0].Title)
	}
}
