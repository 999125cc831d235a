package web

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/acdserver/acd/report"
)

// The reports' charts are drawn here as SVG geometry from the same figures
// the tables beside them show, so that chart, table and CSV cannot
// disagree. Templates turn the geometry into markup.

// heatMap is the 7 × 24 grid of calls offered by weekday and hour.
type heatMap struct {
	Width, Height int
	Cells         []heatCell
	Days          []axisLabel
	Hours         []axisLabel
	Max           int
}

type heatCell struct {
	X, Y, W, H int
	Level      int // 0 (no calls) to 5 (the busiest hour), for the fill class
	Offered    int
	Needed     string // agents needed, or "" when no call came
	Title      string
}

type axisLabel struct {
	X, Y int
	Text string
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

const (
	heatCellW, heatCellH = 34, 26
	heatLeft, heatTop    = 44, 22
)

func drawHeatMap(hours []report.HourCell) heatMap {
	m := heatMap{Width: heatLeft + 24*heatCellW + 4, Height: heatTop + 7*heatCellH + 4}
	for _, c := range hours {
		m.Max = max(m.Max, c.Offered)
	}
	for d, name := range weekdays {
		m.Days = append(m.Days, axisLabel{X: 4, Y: heatTop + d*heatCellH + 17, Text: name})
	}
	for h := 0; h < 24; h += 2 {
		m.Hours = append(m.Hours, axisLabel{X: heatLeft + h*heatCellW + 4, Y: 15, Text: fmt.Sprintf("%02d", h)})
	}
	for _, c := range hours {
		if c.Weekday < 0 || c.Weekday > 6 || c.Hour < 0 || c.Hour > 23 {
			continue
		}
		level := 0
		if c.Offered > 0 && m.Max > 0 {
			level = 1 + int(math.Floor(4*float64(c.Offered)/float64(m.Max)+1e-9))
			level = min(level, 5)
		}
		needed := ""
		if c.AgentsNeeded != nil {
			needed = fmt.Sprint(*c.AgentsNeeded)
		}
		title := fmt.Sprintf("%s %02d:00: %d calls offered", weekdays[c.Weekday], c.Hour, c.Offered)
		if needed != "" {
			title += ", " + needed + " agents needed"
		}
		m.Cells = append(m.Cells, heatCell{X: heatLeft + c.Hour*heatCellW, Y: heatTop + c.Weekday*heatCellH, W: heatCellW - 2, H: heatCellH - 2,
			Level: level, Offered: c.Offered, Needed: needed, Title: title})
	}
	return m
}

// barChart is vertical bars with an optional second series stacked on
// the first.
type barChart struct {
	Width, Height int
	Bars          []bar
	Labels        []axisLabel
	Max           int
	MaxLabel      axisLabel
}

type bar struct {
	X, W     int
	Y1, H1   int // the first series
	Y2, H2   int // the second, stacked above
	V1, V2   int
	Title    string
	HasFirst bool
}

const (
	barAreaH    = 160
	barTop      = 16
	barBottom   = 34
	barLeft     = 36
	barMaxWidth = 28
)

// drawBars draws one bar per label; second may be nil for one series.
func drawBars(labels []string, first, second []int, names [2]string) barChart {
	n := len(labels)
	c := barChart{Height: barTop + barAreaH + barBottom}
	w := barMaxWidth
	if n > 30 {
		w = max(6, 900/n)
	}
	c.Width = barLeft + n*(w+4) + 8
	for i := range labels {
		v := first[i]
		if second != nil {
			v += second[i]
		}
		c.Max = max(c.Max, v)
	}
	scale := 0.0
	if c.Max > 0 {
		scale = float64(barAreaH) / float64(c.Max)
	}
	c.MaxLabel = axisLabel{X: 2, Y: barTop + 10, Text: fmt.Sprint(c.Max)}
	every := labelStep(labels, w+4)
	for i, l := range labels {
		x := barLeft + i*(w+4)
		b := bar{X: x, W: w, V1: first[i], HasFirst: true}
		b.H1 = int(math.Round(float64(first[i]) * scale))
		b.Y1 = barTop + barAreaH - b.H1
		b.Title = fmt.Sprintf("%s: %d %s", l, first[i], names[0])
		if second != nil {
			b.V2 = second[i]
			b.H2 = int(math.Round(float64(second[i]) * scale))
			b.Y2 = b.Y1 - b.H2
			b.Title += fmt.Sprintf(", %d %s", second[i], names[1])
		}
		c.Bars = append(c.Bars, b)
		if i%every == 0 {
			c.Labels = append(c.Labels, axisLabel{X: x, Y: barTop + barAreaH + 14, Text: l})
		}
	}
	return c
}

// labelCharW is the widest a character of a chart's 11 px labels is
// drawn, in the chart's units, and labelGap the least space between two
// labels: what labelStep needs to keep labels apart without measuring
// text, which the server cannot.
const (
	labelCharW = 7
	labelGap   = 6
)

// labelStep is every how many bars, each pitch wide, a label is drawn so
// that the widest label cannot reach the next one drawn.
func labelStep(labels []string, pitch int) int {
	widest := 0
	for _, l := range labels {
		widest = max(widest, utf8.RuneCountInString(l))
	}
	return max(1, (widest*labelCharW+labelGap+pitch-1)/pitch)
}

// clip shortens a label to what fits width, ending it with "…"; the
// bar's title still names it whole.
func clip(label string, width int) string {
	n := max(1, width/labelCharW)
	r := []rune(label)
	if len(r) <= n {
		return label
	}
	return string(r[:n-1]) + "…"
}

// stateBars is one horizontal bar per agent, split by time in state.
type stateBars struct {
	Width, Height int
	Rows          []stateRow
	Legend        []legendItem
}

type stateRow struct {
	Y     int
	Label string
	Parts []statePart
}

type statePart struct {
	X, W  int
	Class string
	Title string
}

type legendItem struct {
	X     int
	Class string
	Text  string
}

const (
	stateLabelW = 120
	stateBarW   = 640
	stateRowH   = 26
)

// agentStates are the states drawn, in order, with their CSS class.
var agentStates = []struct{ Name, Class string }{
	{"ready", "s-ready"}, {"ringing", "s-offered"}, {"on call", "s-oncall"}, {"wrap-up", "s-wrapup"}, {"paused", "s-paused"},
}

func drawAgentStates(rows []report.AgentRow) stateBars {
	c := stateBars{Width: stateLabelW + stateBarW + 10, Height: 28 + len(rows)*stateRowH}
	longest := 0.0
	for _, r := range rows {
		longest = math.Max(longest, r.ReadyS+r.RingingS+r.OnCallS+r.WrapUpS+r.PausedS)
	}
	for i, s := range agentStates {
		c.Legend = append(c.Legend, legendItem{X: stateLabelW + i*110, Class: s.Class, Text: s.Name})
	}
	for i, r := range rows {
		row := stateRow{Y: 28 + i*stateRowH, Label: r.Agent}
		if r.Name != "" {
			row.Label = r.Name
		}
		title := row.Label
		row.Label = clip(row.Label, stateLabelW-labelGap)
		x := stateLabelW
		for j, v := range []float64{r.ReadyS, r.RingingS, r.OnCallS, r.WrapUpS, r.PausedS} {
			if v <= 0 || longest == 0 {
				continue
			}
			w := int(math.Round(v / longest * stateBarW))
			row.Parts = append(row.Parts, statePart{X: x, W: max(w, 1), Class: agentStates[j].Class,
				Title: fmt.Sprintf("%s: %s %s", title, elapsedSeconds(v), agentStates[j].Name)})
			x += w
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

// elapsedSeconds is a length of time in seconds as the pages show it.
func elapsedSeconds(s float64) string {
	return elapsed(secondsDuration(s))
}
