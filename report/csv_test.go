package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func fptr(v float64) *float64 { return &v }

// TestCSVQuoting: RFC 4180 — CRLF after every record, a field quoted when
// it holds a comma, a quote, CR or LF, with its quotes doubled, and the
// field's bytes otherwise as they were (a lone CR, a LF stay so).
func TestCSVQuoting(t *testing.T) {
	var b bytes.Buffer
	c := newCSV(&b)
	c.row([]string{"plain", "a,b", `say "hi"`, "line\nbreak", "lone\rcr", "", " lead"})
	c.row([]string{"x"})
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	want := "plain,\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",\"lone\rcr\",, lead\r\nx\r\n"
	if b.String() != want {
		t.Fatalf("got  %q\nwant %q", b.String(), want)
	}
	r := csv.NewReader(strings.NewReader(b.String()))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 2 || recs[0][2] != `say "hi"` || recs[0][3] != "line\nbreak" {
		t.Fatalf("read back: %q %v", recs, err)
	}
}

// TestCSVNeutralisesFormulas: text from outside that a spreadsheet would
// run gets a leading quote, in headers too; numbers are never touched.
func TestCSVNeutralisesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+14155550100":      "'+14155550100",
		"-2+3":              "'-2+3",
		"@SUM(A1)":          "'@SUM(A1)",
		"\t=1":              "'\t=1",
		"\r=1":              "'\r=1",
		"1001":              "1001",
		"Lunch = food":      "Lunch = food",
		"":                  "",
	} {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	if seconds(-1.5) != "-1.5" || seconds(-0.0001) != "0" || seconds(12.345000000000001) != "12.345" {
		t.Errorf("seconds: %q %q %q", seconds(-1.5), seconds(-0.0001), seconds(12.345000000000001))
	}
	var b bytes.Buffer
	err := WriteAgentPerformanceSummary(&b, AgentPerformance{Agents: []AgentRow{{Agent: "1001", Name: "=cmd|' /C calc'!A0",
		AgentTotals: AgentTotals{PausedByReason: map[string]float64{"@x": 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.String())
	if rows[0]["name"] != "'=cmd|' /C calc'!A0" {
		t.Errorf("name cell %q", rows[0]["name"])
	}
	if _, ok := rows[0]["paused_by_reason_seconds[@x]"]; !ok {
		t.Errorf("header: %v", rows[0])
	}
}

// jsonNames are a struct's JSON field names, in order, embedded structs
// flattened, as encoding/json would write them.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonNames(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

func header(t *testing.T, text string) []string {
	t.Helper()
	h, err := csv.NewReader(strings.NewReader(text)).Read()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCSVColumnsAreTheJSONNames: the exports' columns are the report
// types' fields, named as their JSON, so that a column added to a type
// cannot be forgotten here.
func TestCSVColumnsAreTheJSONNames(t *testing.T) {
	var b bytes.Buffer
	if err := WriteQueueCallersSummary(&b, QueueCallers{}); err != nil {
		t.Fatal(err)
	}
	if got, want := header(t, b.String()), jsonNames(reflect.TypeFor[QueueRow]()); !slices.Equal(got, want) {
		t.Errorf("queue summary:\n got  %v\n want %v", got, want)
	}
	b.Reset()
	if err := WriteQueueCallersDetail(&b, nil, time.UTC); err != nil {
		t.Fatal(err)
	}
	if got, want := header(t, b.String()), jsonNames(reflect.TypeFor[Stint]()); !slices.Equal(got, want) {
		t.Errorf("queue detail:\n got  %v\n want %v", got, want)
	}
	b.Reset()
	if err := WriteAgentPerformanceDetail(&b, nil, time.UTC); err != nil {
		t.Fatal(err)
	}
	if got, want := header(t, b.String()), jsonNames(reflect.TypeFor[Interval]()); !slices.Equal(got, want) {
		t.Errorf("agent detail:\n got  %v\n want %v", got, want)
	}
	b.Reset()
	ap := AgentPerformance{Agents: []AgentRow{{Agent: "1", AgentTotals: AgentTotals{
		PausedByReason: map[string]float64{"Lunch": 1, "": 2}, QueueShare: map[string]float64{"b": 0.5, "a": 0.5}}}}}
	if err := WriteAgentPerformanceSummary(&b, ap); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range jsonNames(reflect.TypeFor[AgentRow]()) {
		switch n {
		case "paused_by_reason_seconds":
			want = append(want, "paused_by_reason_seconds[]", "paused_by_reason_seconds[Lunch]")
		case "queue_share":
			want = append(want, "queue_share[a]", "queue_share[b]")
		default:
			want = append(want, n)
		}
	}
	if got := header(t, b.String()); !slices.Equal(got, want) {
		t.Errorf("agent summary:\n got  %v\n want %v", got, want)
	}
}

// readCSV parses a CSV file as a spreadsheet would import it: rows as
// maps from the header's names.
func readCSV(t *testing.T, text string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, name := range recs[0] {
			m[name] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("cell %q: %v", s, err)
	}
	return v
}

// figure is a recomputed cell: ok false is an empty (null) cell.
type figure struct {
	v  float64
	ok bool
}

func some(v float64) figure { return figure{v, true} }

func div(a, b float64) figure {
	if b == 0 {
		return figure{}
	}
	return some(a / b)
}

func mean(xs []float64) figure {
	if len(xs) == 0 {
		return figure{}
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return some(s / float64(len(xs)))
}

// nearestRankP90 is the 90th percentile by nearest rank: the smallest
// value with at least 90 % of the values at or below it, the
// ceil(0.9·n)th of them in order.
func nearestRankP90(xs []float64) figure {
	if len(xs) == 0 {
		return figure{}
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	return some(s[int(math.Ceil(0.9*float64(len(s))))-1])
}

func maxOf(xs []float64) figure {
	if len(xs) == 0 {
		return figure{}
	}
	return some(slices.Max(xs))
}

// compare checks a summary row's cells against the recomputed figures;
// numbers are written rounded to the millisecond.
func compare(t *testing.T, row string, summary map[string]string, want map[string]figure) {
	t.Helper()
	for col, f := range want {
		cell, ok := summary[col]
		if !ok {
			t.Errorf("%s: no column %s", row, col)
			continue
		}
		if !f.ok {
			if cell != "" {
				t.Errorf("%s %s = %q, recomputed: empty", row, col, cell)
			}
			continue
		}
		if cell == "" || math.Abs(num(t, cell)-f.v) > 0.0006 {
			t.Errorf("%s %s = %q, recomputed: %v", row, col, cell, f.v)
		}
	}
}

// queueCallersDataset: two queues with every outcome, a waiting caller
// and a wait exactly at the threshold; its summary is worked out by hand
// from docs/metrics.md, as the report should give it.
func queueCallersDataset() (QueueCallers, []Stint) {
	base := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var stints []Stint
	add := func(q, outcome string, wait, talk, wrap float64, offers int) {
		n := len(stints)
		joined := base.Add(time.Duration(n) * time.Minute)
		s := Stint{CallID: "call-" + strconv.Itoa(n), Interaction: "call-" + strconv.Itoa(n), Queue: q, Caller: "+4930123" + strconv.Itoa(n),
			Joined: joined, Outcome: outcome, WaitS: wait, TalkS: talk, WrapUpS: wrap, Offers: offers}
		if outcome != Waiting {
			s.Ended = joined.Add(time.Duration(wait * float64(time.Second)))
		}
		if outcome == Answered {
			s.Agent = "100" + strconv.Itoa(n%3)
		}
		stints = append(stints, s)
	}
	add("sales", Answered, 5, 100, 20, 1)
	add("sales", Answered, 30.5, 200, 10, 2)
	add("sales", Answered, 20, 60, 0, 1) // at the threshold: within it
	add("sales", Abandoned, 40, 0, 0, 1)
	add("sales", ShortAbandoned, 3, 0, 0, 0)
	add("sales", CallbackRequested, 90, 0, 0, 2)
	add("sales", TimedOut, 120, 0, 0, 3)
	add("sales", Exited, 15, 0, 0, 0)
	add("sales", ServerStopped, 8, 0, 0, 0)
	add("sales", Waiting, 4, 0, 0, 0) // offered, and in no other count yet
	add("support", Answered, 10, 50, 5, 1)
	add("support", Answered, 45, 80, 5, 1)
	add("support", Abandoned, 2, 0, 0, 0) // short abandons are off here
	add("support", Abandoned, 60, 0, 0, 1)

	sales := QueueTotals{Offered: 10, Answered: 3, Abandoned: 1, ShortAbandoned: 1, CallbackRequested: 1, TimedOut: 1, Exited: 1, ServerStopped: 1,
		Missed: 3, AnsweredWithin: 2, ServiceLevel: fptr(2.0 / 7), AbandonRate: fptr(1.0 / 9),
		AvgWaitAnswered: fptr(55.5 / 3), P90WaitAnswered: fptr(30.5), AvgWaitAbandoned: fptr(40), P90WaitAbandoned: fptr(40), MaxWait: fptr(120),
		AvgHandle: fptr(390.0 / 3), CallbacksDone: 1, AvgCallbackWait: fptr(300), ThresholdSeconds: 20, ShortAbandonBelow: 5}
	support := QueueTotals{Offered: 4, Answered: 2, Abandoned: 2, Missed: 2, AnsweredWithin: 1, ServiceLevel: fptr(0.25), AbandonRate: fptr(0.5),
		AvgWaitAnswered: fptr(27.5), P90WaitAnswered: fptr(45), AvgWaitAbandoned: fptr(31), P90WaitAbandoned: fptr(60), MaxWait: fptr(60),
		AvgHandle: fptr(70), ThresholdSeconds: 30}
	total := QueueTotals{Offered: 14, Answered: 5, Abandoned: 3, ShortAbandoned: 1, CallbackRequested: 1, TimedOut: 1, Exited: 1, ServerStopped: 1,
		Missed: 5, AnsweredWithin: 3, ServiceLevel: fptr(3.0 / 11), AbandonRate: fptr(3.0 / 13),
		AvgWaitAnswered: fptr(110.5 / 5), P90WaitAnswered: fptr(45), AvgWaitAbandoned: fptr(34), P90WaitAbandoned: fptr(60), MaxWait: fptr(120),
		AvgHandle: fptr(530.0 / 5), CallbacksDone: 1, AvgCallbackWait: fptr(300)}
	qc := QueueCallers{From: base, To: base.Add(24 * time.Hour), TimeZone: "UTC", Totals: total,
		Queues: []QueueRow{{Queue: "sales", QueueTotals: sales}, {Queue: "support", QueueTotals: support}}}
	return qc, stints
}

// notFromQueueDetail are the summary columns the stays cannot give: the
// callbacks' own figures come from the callback requests, and the
// settings are the queues' configuration, read from the summary.
var notFromQueueDetail = []string{"queue", "callbacks_completed", "callbacks_failed", "avg_callback_wait_seconds",
	"service_level_threshold_seconds", "short_abandon_seconds"}

// recomputeQueueCallers works every other summary column out of the
// detail rows of one queue (or all), as a spreadsheet would with COUNTIF
// and AVERAGEIF; threshold gives each row's queue's threshold.
func recomputeQueueCallers(t *testing.T, rows []map[string]string, threshold func(queue string) float64) map[string]figure {
	count := map[string]float64{}
	var waitAns, waitAb, waits []float64
	within, handle, offered := 0.0, 0.0, 0.0
	for _, r := range rows {
		o := r["outcome"]
		count[o]++
		offered++
		if o == Waiting {
			continue
		}
		w := num(t, r["wait_seconds"])
		waits = append(waits, w)
		switch o {
		case Answered:
			waitAns = append(waitAns, w)
			handle += num(t, r["talk_seconds"]) + num(t, r["wrap_up_seconds"])
			if w <= threshold(r["queue"]) {
				within++
			}
		case Abandoned:
			waitAb = append(waitAb, w)
		}
	}
	return map[string]figure{
		"offered":                    some(offered),
		"answered":                   some(count[Answered]),
		"abandoned":                  some(count[Abandoned]),
		"short_abandoned":            some(count[ShortAbandoned]),
		"callback_requested":         some(count[CallbackRequested]),
		"timed_out":                  some(count[TimedOut]),
		"exited":                     some(count[Exited]),
		"server_stopped":             some(count[ServerStopped]),
		"missed":                     some(count[Abandoned] + count[TimedOut] + count[Exited]),
		"answered_within_threshold":  some(within),
		"service_level":              div(within, offered-count[ShortAbandoned]-count[CallbackRequested]-count[ServerStopped]),
		"abandon_rate":               div(count[Abandoned], offered-count[ShortAbandoned]),
		"avg_wait_answered_seconds":  mean(waitAns),
		"p90_wait_answered_seconds":  nearestRankP90(waitAns),
		"avg_wait_abandoned_seconds": mean(waitAb),
		"p90_wait_abandoned_seconds": nearestRankP90(waitAb),
		"max_wait_seconds":           maxOf(waits),
		"avg_handle_seconds":         div(handle, count[Answered]),
	}
}

// TestQueueCallersSummaryFromDetail: every summary column but the
// callbacks' and the settings can be recomputed from the detail file in
// a spreadsheet, for each queue and for the total row.
func TestQueueCallersSummaryFromDetail(t *testing.T) {
	qc, stints := queueCallersDataset()
	var sb, db bytes.Buffer
	if err := WriteQueueCallersSummary(&sb, qc); err != nil {
		t.Fatal(err)
	}
	if err := WriteQueueCallersDetail(&db, stints, time.UTC); err != nil {
		t.Fatal(err)
	}
	summary, detail := readCSV(t, sb.String()), readCSV(t, db.String())
	if len(summary) != 3 || summary[2]["queue"] != TotalRow || len(detail) != len(stints) {
		t.Fatalf("%d summary rows (last %q), %d detail rows", len(summary), summary[len(summary)-1]["queue"], len(detail))
	}
	thresholds := map[string]float64{}
	for _, s := range summary[:2] {
		thresholds[s["queue"]] = num(t, s["service_level_threshold_seconds"])
	}
	threshold := func(q string) float64 { return thresholds[q] }
	checked := map[string]bool{}
	for _, s := range summary {
		var rows []map[string]string
		for _, d := range detail {
			if s["queue"] == TotalRow || d["queue"] == s["queue"] {
				rows = append(rows, d)
			}
		}
		want := recomputeQueueCallers(t, rows, threshold)
		compare(t, s["queue"], s, want)
		for c := range want {
			checked[c] = true
		}
	}
	for col := range summary[0] {
		if !checked[col] && !slices.Contains(notFromQueueDetail, col) {
			t.Errorf("column %s is neither recomputed nor listed as coming from elsewhere", col)
		}
	}
	// The queues' thresholds differ, so the total row states none.
	if tot := summary[2]; tot["service_level_threshold_seconds"] != "" || tot["short_abandon_seconds"] != "" {
		t.Errorf("total row settings: %q %q", tot["service_level_threshold_seconds"], tot["short_abandon_seconds"])
	}
	if summary[0]["callbacks_completed"] != "1" || summary[0]["avg_callback_wait_seconds"] != "300" || summary[1]["avg_callback_wait_seconds"] != "" {
		t.Errorf("callback cells: %v", summary[0])
	}
	if got := detail[0]["caller"]; got != "'+49301230" {
		t.Errorf("caller cell %q: a leading + is neutralised", got)
	}
	if detail[9]["ended"] != "" || detail[0]["joined"] != "2026-11-24T09:00:00.000Z" || detail[1]["ended"] != "2026-11-24T09:01:30.500Z" {
		t.Errorf("times: %q %q %q", detail[9]["ended"], detail[0]["joined"], detail[1]["ended"])
	}
}

// agentDataset: two agents, with a direct call (no queue: in no queue's share), a ring that ended
// without an answer, pauses with and without a reason, and its summary
// worked out by hand.
func agentDataset() (AgentPerformance, []Interval) {
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var out []Interval
	agent := ""
	add := func(state, reason, queue, call string, s float64) {
		d := time.Duration(s * float64(time.Second))
		out = append(out, Interval{Agent: agent, State: state, Reason: reason, Queue: queue, CallID: call, From: at, To: at.Add(d), S: s})
		at = at.Add(d)
	}
	agent = "1001"
	add("ready", "", "", "", 300)
	add("offered", "", "sales", "c1", 10)
	add("on-call", "", "sales", "c1", 120)
	add("wrap-up", "", "sales", "c1", 30)
	add("ready", "", "", "", 200)
	add("offered", "", "support", "c2", 8) // rang out
	add("ready", "", "", "", 100)
	add("paused", "Lunch", "", "", 1800)
	add("paused", "", "", "", 60)
	add("offered", "", "", "c3", 5) // a direct call
	add("on-call", "", "", "c3", 40)
	add("ready", "", "", "", 50)
	agent = "1002"
	at = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	add("ready", "", "", "", 400)
	add("offered", "", "support", "c4", 12)
	add("on-call", "", "support", "c4", 300)
	add("wrap-up", "", "support", "c4", 45.5)
	add("paused", "Training", "", "", 600)

	ann := AgentTotals{LoggedInS: 2723, ReadyS: 650, RingingS: 23, OnCallS: 160, WrapUpS: 30, PausedS: 1860,
		PausedByReason: map[string]float64{"Lunch": 1800, "": 60}, Offered: 3, Answered: 2, Missed: 1,
		AvgHandle: fptr(95), Occupancy: fptr(213.0 / 863), QueueShare: map[string]float64{"sales": 160.0 / 168, "support": 8.0 / 168}}
	bob := AgentTotals{LoggedInS: 1357.5, ReadyS: 400, RingingS: 12, OnCallS: 300, WrapUpS: 45.5, PausedS: 600,
		PausedByReason: map[string]float64{"Training": 600}, Offered: 1, Answered: 1,
		AvgHandle: fptr(345.5), Occupancy: fptr(357.5 / 757.5), QueueShare: map[string]float64{"support": 1}}
	all := AgentTotals{LoggedInS: 4080.5, ReadyS: 1050, RingingS: 35, OnCallS: 460, WrapUpS: 75.5, PausedS: 2460,
		PausedByReason: map[string]float64{"Lunch": 1800, "": 60, "Training": 600}, Offered: 4, Answered: 3, Missed: 1,
		AvgHandle: fptr(535.5 / 3), Occupancy: fptr(570.5 / 1620.5), QueueShare: map[string]float64{"sales": 160 / 525.5, "support": 365.5 / 525.5}}
	ap := AgentPerformance{Totals: all, Agents: []AgentRow{{Agent: "1001", Name: "Ann", AgentTotals: ann}, {Agent: "1002", Name: "Bob", AgentTotals: bob}}}
	return ap, out
}

// notFromAgentDetail: the name is the directory's; a miss is why a ring
// ended, which the intervals do not say (a ring also ends when another
// agent answers or the caller leaves).
var notFromAgentDetail = []string{"agent", "name", "missed"}

func recomputeAgent(t *testing.T, rows []map[string]string, reasons, queues []string) map[string]figure {
	by := map[string]float64{}
	reason := map[string]float64{}
	share := map[string]float64{}
	n := map[string]float64{}
	total, queued := 0.0, 0.0
	for _, r := range rows {
		s := num(t, r["seconds"])
		total += s
		by[r["state"]] += s
		n[r["state"]]++
		if r["state"] == "paused" {
			reason[r["reason"]] += s
		}
		if (r["state"] == "offered" || r["state"] == "on-call" || r["state"] == "wrap-up") && r["queue"] != "" {
			share[r["queue"]] += s
			queued += s
		}
	}
	handling := by["offered"] + by["on-call"] + by["wrap-up"]
	out := map[string]figure{
		"logged_in_seconds":  some(total),
		"ready_seconds":      some(by["ready"]),
		"ringing_seconds":    some(by["offered"]),
		"on_call_seconds":    some(by["on-call"]),
		"wrap_up_seconds":    some(by["wrap-up"]),
		"paused_seconds":     some(by["paused"]),
		"offered":            some(n["offered"]),
		"answered":           some(n["on-call"]),
		"avg_handle_seconds": div(by["on-call"]+by["wrap-up"], n["on-call"]),
		"occupancy":          div(handling, by["ready"]+handling),
	}
	for _, k := range reasons {
		out[keyed(pausedByReasonColumn, k)] = some(reason[k])
	}
	for _, q := range queues {
		out[keyed(queueShareColumn, q)] = div(share[q], queued)
	}
	return out
}

// TestAgentPerformanceSummaryFromDetail: the agent summary, flattened
// pause reasons and queue shares included, recomputed from the intervals.
func TestAgentPerformanceSummaryFromDetail(t *testing.T) {
	ap, intervals := agentDataset()
	var sb, db bytes.Buffer
	if err := WriteAgentPerformanceSummary(&sb, ap); err != nil {
		t.Fatal(err)
	}
	if err := WriteAgentPerformanceDetail(&db, intervals, time.UTC); err != nil {
		t.Fatal(err)
	}
	summary, detail := readCSV(t, sb.String()), readCSV(t, db.String())
	if len(summary) != 3 || summary[2]["agent"] != TotalRow || len(detail) != len(intervals) {
		t.Fatalf("%d summary rows, %d detail rows", len(summary), len(detail))
	}
	var reasons, queues []string
	for col := range summary[0] {
		if k, ok := strings.CutPrefix(col, pausedByReasonColumn+"["); ok {
			reasons = append(reasons, strings.TrimSuffix(k, "]"))
		}
		if k, ok := strings.CutPrefix(col, queueShareColumn+"["); ok {
			queues = append(queues, strings.TrimSuffix(k, "]"))
		}
	}
	slices.Sort(reasons)
	slices.Sort(queues)
	if !slices.Equal(reasons, []string{"", "Lunch", "Training"}) || !slices.Equal(queues, []string{"sales", "support"}) {
		t.Fatalf("flattened columns: %q %q", reasons, queues)
	}
	checked := map[string]bool{}
	for _, s := range summary {
		var rows []map[string]string
		for _, d := range detail {
			if s["agent"] == TotalRow || d["agent"] == s["agent"] {
				rows = append(rows, d)
			}
		}
		want := recomputeAgent(t, rows, reasons, queues)
		compare(t, s["agent"], s, want)
		for c := range want {
			checked[c] = true
		}
	}
	for col := range summary[0] {
		if !checked[col] && !slices.Contains(notFromAgentDetail, col) {
			t.Errorf("column %s is neither recomputed nor listed as coming from elsewhere", col)
		}
	}
	if summary[1]["paused_by_reason_seconds[Lunch]"] != "0" {
		t.Errorf("a reason the agent never used: %q", summary[1]["paused_by_reason_seconds[Lunch]"])
	}
}

// TestWriteZip: the archive holds the files in order, each whole.
func TestWriteZip(t *testing.T) {
	qc, stints := queueCallersDataset()
	files := []File{
		{Name: QueueCallersSummaryCSV, Write: func(w io.Writer) error { return WriteQueueCallersSummary(w, qc) }},
		{Name: QueueCallersDetailCSV, Write: func(w io.Writer) error { return WriteQueueCallersDetail(w, stints, time.UTC) }},
		{Name: DefinitionsCSV, Write: func(w io.Writer) error {
			return WriteDefinitions(w, []string{QueueCallersSummaryCSV, QueueCallersDetailCSV})
		}},
	}
	var b bytes.Buffer
	if err := WriteZip(&b, files); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(z.File) != 3 {
		t.Fatalf("%d files", len(z.File))
	}
	for i, f := range z.File {
		if f.Name != files[i].Name {
			t.Errorf("file %d: %s", i, f.Name)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		var want bytes.Buffer
		if err := files[i].Write(&want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s differs", f.Name)
		}
	}
	failing := []File{{Name: "x.csv", Write: func(io.Writer) error { return io.ErrClosedPipe }}}
	if err := WriteZip(io.Discard, failing); err == nil || !strings.Contains(err.Error(), "x.csv") {
		t.Errorf("a failing file: %v", err)
	}
}

// TestDefinitionsMatchDocs: definitions.csv has a row for every column of
// every file, and docs/metrics.md names every one of them.
func TestDefinitionsMatchDocs(t *testing.T) {
	files := []string{QueueCallersSummaryCSV, QueueCallersDetailCSV, AgentPerformanceSummaryCSV, AgentPerformanceDetailCSV}
	var b bytes.Buffer
	if err := WriteDefinitions(&b, files); err != nil {
		t.Fatal(err)
	}
	defs := readCSV(t, b.String())
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, d := range defs {
		n[d["file"]]++
		if d["definition"] == "" {
			t.Errorf("%s %s: no definition", d["file"], d["column"])
		}
		col := strings.ReplaceAll(d["column"], "[KEY]", "[")
		if !bytes.Contains(doc, []byte("`"+col)) {
			t.Errorf("docs/metrics.md does not name %s (%s)", d["column"], d["file"])
		}
	}
	if n[QueueCallersSummaryCSV] != len(queueSummaryColumns()) || n[QueueCallersDetailCSV] != len(jsonNames(reflect.TypeFor[Stint]())) ||
		n[AgentPerformanceDetailCSV] != len(jsonNames(reflect.TypeFor[Interval]())) || n[AgentPerformanceSummaryCSV] != len(jsonNames(reflect.TypeFor[AgentRow]())) {
		t.Errorf("rows per file: %v", n)
	}
	if err := WriteDefinitions(io.Discard, []string{"nope.csv"}); err == nil {
		t.Error("an unknown file")
	}
}
