package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
)

// TestReportTemplatesDraw draws the report pages from a full report, so
// that a template naming a field that is not there fails here rather than
// at a supervisor's click, and checks that what callers typed stays text.
func TestReportTemplatesDraw(t *testing.T) {
	p := Mount(http.NewServeMux(), nil, Options{})
	sl, two := 0.8, 2
	up := 20
	hours := make([]report.HourCell, 0, 7*24)
	for d := 0; d < 7; d++ {
		for h := 0; h < 24; h++ {
			c := report.HourCell{Weekday: d, Hour: h, Offered: d * h, Occurrences: 1}
			if c.Offered > 0 {
				c.AgentsNeeded = &two
			}
			hours = append(hours, c)
		}
	}
	totals := report.QueueTotals{Offered: 10, Answered: 7, Abandoned: 2, Missed: 3, ServiceLevel: &sl, ThresholdSeconds: 20}
	qc := report.QueueCallers{Totals: totals, Queues: []report.QueueRow{{Queue: "support", QueueTotals: totals}},
		Days: []report.DayRow{{Date: "2026-11-24", QueueTotals: totals}}, Hours: hours,
		Waits: []report.WaitBucket{{UpTo: &up, Answered: 5, Abandoned: 1}, {Answered: 2, Abandoned: 1}}}
	qv := &queueCallersView{Report: qc, Heat: drawHeatMap(hours), Terms: queueTerms(totals), Days: qc.Days,
		Missed: drawBars([]string{"11-24"}, []int{3}, nil, [2]string{"missed", ""}), Export: "/api/v1/exports?x=1"}
	ap := report.AgentPerformance{Agents: []report.AgentRow{{Agent: "1001", Name: "<b>Alice</b>", AgentTotals: report.AgentTotals{
		ReadyS: 60, OnCallS: 120, PausedS: 30, PausedByReason: map[string]float64{"Lunch": 30}, QueueShare: map[string]float64{"support": 1}}}}}
	av := &agentPerformanceView{Report: ap, Chart: drawAgentStates(ap.Agents), Reasons: []string{"Lunch"}, Queues: []string{"support"}}
	form := reportForm{From: "2026-11-24", To: "2026-11-30", TZ: "UTC", QueueChoices: []service.Queue{{ID: "support", Name: "Support"}}}
	for _, d := range []reportsView{
		{Tab: "queue-callers", Form: form, Queue: qv},
		{Tab: "agent-performance", Form: form, Agents: av},
		{Tab: "conversations", Form: form, Conv: &report.Conversations{}},
	} {
		var buf bytes.Buffer
		if err := p.pages["reports"].ExecuteTemplate(&buf, "layout.html", view{Title: "Reports", Data: d}); err != nil {
			t.Fatalf("drawing %s: %v", d.Tab, err)
		}
		if d.Tab == "agent-performance" && (strings.Contains(buf.String(), "<b>Alice") || !strings.Contains(buf.String(), "&lt;b&gt;Alice")) {
			t.Error("an agent's name was drawn as markup")
		}
	}
	var buf bytes.Buffer
	calls := []report.Stint{{Caller: "<script>x</script>", Joined: time.Now(), Outcome: report.Abandoned}}
	err := p.pages["report-calls"].ExecuteTemplate(&buf, "layout.html", view{Title: "Callers", Data: struct {
		Form  reportForm
		Calls []report.Stint
		Back  string
	}{form, calls, "/reports"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script>x") {
		t.Error("a caller's number was drawn as markup")
	}
}
