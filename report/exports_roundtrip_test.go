package report

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
)

// TestExportsRecomputeFromRealReports: the summaries the reports compute
// are recomputed from the detail CSV they export, every column but those
// TestQueueCallersSummaryFromDetail lists as coming from elsewhere.
func TestExportsRecomputeFromRealReports(t *testing.T) {
	settings := map[string]QueueSettings{"support": {Threshold: 20 * time.Second, ShortAbandon: 5 * time.Second}, "sales": {Threshold: 30 * time.Second}}
	h := &history{t0: monday}
	h.login(0, "a", "support", "sales")
	h.login(0, "b", "support")
	h.join(10, "c1", "support")
	h.answered("c1", "support", "a", 10, 12, 15, 75, 90)
	h.join(20, "c2", "support")
	h.answered("c2", "support", "b", 20, 22, 50, 100, 0)
	h.join(30, "c3", "support")
	h.left(33, "c3", "support", event.CallerAbandoned{WaitedMS: 3000})
	h.join(40, "c4", "sales")
	h.left(80, "c4", "sales", event.CallerAbandoned{WaitedMS: 40000})
	h.join(95, "c5", "sales")
	h.answered("c5", "sales", "a", 95, 96, 130, 200, 0)
	h.join(210, "c6", "sales")
	h.left(300, "c6", "sales", event.CallerTimedOut{WaitedMS: 90000})
	h.join(400, "c7", "support") // still waiting
	b := newBed(t, settings, monday.Add(500*time.Second))
	b.append(t, h.evs)
	ctx := context.Background()
	f := period(monday.Add(-9*time.Hour), monday.Add(15*time.Hour))
	f.Location = time.UTC

	qc, err := b.rep.QueueCallers(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	stints, _, err := b.rep.Calls(ctx, f, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var sb, db bytes.Buffer
	if err := WriteQueueCallersSummary(&sb, qc); err != nil {
		t.Fatal(err)
	}
	if err := WriteQueueCallersDetail(&db, stints, time.UTC); err != nil {
		t.Fatal(err)
	}
	summary, detail := readCSV(t, sb.String()), readCSV(t, db.String())
	thresholds := map[string]float64{}
	for _, s := range summary[:len(summary)-1] {
		thresholds[s["queue"]] = num(t, s["service_level_threshold_seconds"])
	}
	for _, s := range summary {
		var rows []map[string]string
		for _, d := range detail {
			if s["queue"] == TotalRow || d["queue"] == s["queue"] {
				rows = append(rows, d)
			}
		}
		compare(t, s["queue"], s, recomputeQueueCallers(t, rows, func(q string) float64 { return thresholds[q] }))
	}

	ap, err := b.rep.AgentPerformance(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	ivs, _, err := b.rep.Intervals(ctx, f, 0)
	if err != nil {
		t.Fatal(err)
	}
	sb.Reset()
	db.Reset()
	if err := WriteAgentPerformanceSummary(&sb, ap); err != nil {
		t.Fatal(err)
	}
	if err := WriteAgentPerformanceDetail(&db, ivs, time.UTC); err != nil {
		t.Fatal(err)
	}
	asum, adet := readCSV(t, sb.String()), readCSV(t, db.String())
	reasons, queues := agentKeys(append(ap.Agents, AgentRow{AgentTotals: ap.Totals}))
	for _, s := range asum {
		var rows []map[string]string
		for _, d := range adet {
			if s["agent"] == TotalRow || d["agent"] == s["agent"] {
				rows = append(rows, d)
			}
		}
		compare(t, s["agent"], s, recomputeAgent(t, rows, reasons, queues))
	}
	if len(summary) != 3 || len(detail) != 7 || len(asum) != 3 || len(adet) < 10 {
		t.Fatalf("rows: %d %d %d %d", len(summary), len(detail), len(asum), len(adet))
	}
}
