package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The CSV exports: RFC 4180 text (CRLF line ends, a field quoted when it
// holds a comma, a double quote, CR or LF, quotes inside doubled), UTF-8
// without a byte-order mark, one header line of column names: the JSON
// names of report/types.go. docs/metrics.md ("The CSV exports") lists
// the files; definitions.csv in every export gives each column's meaning.

// Names of the export's files.
const (
	QueueCallersSummaryCSV     = "queue-callers-summary.csv"
	QueueCallersDetailCSV      = "queue-callers-detail.csv"
	AgentPerformanceSummaryCSV = "agent-performance-summary.csv"
	AgentPerformanceDetailCSV  = "agent-performance-detail.csv"
	DefinitionsCSV             = "definitions.csv"
)

// TotalRow names the row of a summary that totals the others. Queue
// names and agent ids start with a letter or digit, so it is never one.
const TotalRow = "(total)"

// timeLayout writes instants with their offset and milliseconds, so that
// a spreadsheet's text sorts as time does within one offset, and nothing
// is lost of what the events hold.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// column is one column of a CSV file: its header, what it means (for
// definitions.csv) and its cell for a row.
type column[T any] struct {
	name, def string
	cell      func(T) string
}

// Cells. Text from outside (names, numbers dialled, reasons, ids) goes
// through text(), which neutralises formulas; numbers and times are
// formatted here and cannot hold one, so they are written as they are.

// text neutralises a cell a spreadsheet would run as a formula: one
// starting with =, +, - or @ (the formula signs of Excel, LibreOffice
// and Google Sheets), or with a tab or CR (which some strip before
// looking). The cell then starts with a single quote, which spreadsheets
// read as "this is text"; the rest is kept as it was, so a caller's
// +14155550100 reads '+14155550100. Numbers are never passed here: a
// number cell holds only digits, a point and perhaps a leading minus
// (durations are never negative in the log, and a negative number is a
// number to a spreadsheet, not a formula), so the type of the value, not
// its text, decides.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func integer(n int) string { return strconv.Itoa(n) }

// seconds rounds to the millisecond the events are kept in: sums of
// float64 seconds otherwise show as 12.345000000000001.
func seconds(v float64) string {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// fraction writes a share as a fraction (0.8, not 80), exact as float64
// has it; a null ratio (zero denominator) is an empty cell.
func fraction(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func optSeconds(v *float64) string {
	if v == nil {
		return ""
	}
	return seconds(*v)
}

func instant(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format(timeLayout)
}

// csvWriter writes RFC 4180 records. encoding/csv's writer is not used:
// with CRLF line ends it drops a lone CR inside a field and rewrites LF
// as CRLF, changing what a caller's variables or a reason held.
type csvWriter struct {
	w   *bufio.Writer
	err error
}

func newCSV(w io.Writer) *csvWriter { return &csvWriter{w: bufio.NewWriter(w)} }

func (c *csvWriter) row(cells []string) {
	if c.err != nil {
		return
	}
	for i, s := range cells {
		if i > 0 {
			c.w.WriteByte(',')
		}
		if strings.ContainsAny(s, ",\"\r\n") {
			c.w.WriteByte('"')
			c.w.WriteString(strings.ReplaceAll(s, `"`, `""`))
			c.w.WriteByte('"')
		} else {
			c.w.WriteString(s)
		}
	}
	_, c.err = c.w.WriteString("\r\n")
}

func (c *csvWriter) flush() error {
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}

// writeTable writes a header of the columns' names (neutralised too: a
// pause reason or queue name is part of some headers) and a row per item.
func writeTable[T any](w io.Writer, cols []column[T], rows []T) error {
	c := newCSV(w)
	header := make([]string, len(cols))
	for i, col := range cols {
		header[i] = text(col.name)
	}
	c.row(header)
	cells := make([]string, len(cols))
	for _, r := range rows {
		for i, col := range cols {
			cells[i] = col.cell(r)
		}
		c.row(cells)
	}
	return c.flush()
}

// Queue callers.

// queueTotalsColumns are the summary's columns after "queue": every field
// of QueueTotals, in its order, named as its JSON.
func queueTotalsColumns() []column[QueueRow] {
	i := func(name, def string, f func(*QueueTotals) int) column[QueueRow] {
		return column[QueueRow]{name, def, func(r QueueRow) string { return integer(f(&r.QueueTotals)) }}
	}
	r := func(name, def string, f func(*QueueTotals) *float64) column[QueueRow] {
		return column[QueueRow]{name, def, func(r QueueRow) string { return fraction(f(&r.QueueTotals)) }}
	}
	s := func(name, def string, f func(*QueueTotals) *float64) column[QueueRow] {
		return column[QueueRow]{name, def, func(r QueueRow) string { return optSeconds(f(&r.QueueTotals)) }}
	}
	return []column[QueueRow]{
		i("offered", "stays that joined the queue in the period, whatever their outcome, callers still waiting included: every detail row", func(t *QueueTotals) int { return t.Offered }),
		i("answered", "stays an agent answered; detail outcome answered", func(t *QueueTotals) int { return t.Answered }),
		i("abandoned", "callers who hung up while waiting, short abandons apart; detail outcome abandoned", func(t *QueueTotals) int { return t.Abandoned }),
		i("short_abandoned", "callers who hung up within the queue's short_abandon_seconds; detail outcome short_abandoned", func(t *QueueTotals) int { return t.ShortAbandoned }),
		i("callback_requested", "callers who asked to be called back (not abandoned); detail outcome callback_requested", func(t *QueueTotals) int { return t.CallbackRequested }),
		i("timed_out", "callers the dial plan's queue timeout took out; detail outcome timed_out", func(t *QueueTotals) int { return t.TimedOut }),
		i("exited", "callers who pressed * to leave; detail outcome exited", func(t *QueueTotals) int { return t.Exited }),
		i("server_stopped", "callers still waiting when the server stopped (not abandoned); detail outcome server_stopped", func(t *QueueTotals) int { return t.ServerStopped }),
		i("missed", "abandoned + timed_out + exited: callers who wanted an agent and left without one or a callback", func(t *QueueTotals) int { return t.Missed }),
		i("answered_within_threshold", "answered with wait_seconds <= the queue's service_level_threshold_seconds", func(t *QueueTotals) int { return t.AnsweredWithin }),
		r("service_level", "answered_within_threshold / (offered - short_abandoned - callback_requested - server_stopped), a fraction; empty when the denominator is 0", func(t *QueueTotals) *float64 { return t.ServiceLevel }),
		r("abandon_rate", "abandoned / (offered - short_abandoned), a fraction; empty when the denominator is 0", func(t *QueueTotals) *float64 { return t.AbandonRate }),
		s("avg_wait_answered_seconds", "mean wait_seconds of answered stays; empty without any", func(t *QueueTotals) *float64 { return t.AvgWaitAnswered }),
		s("p90_wait_answered_seconds", "90th percentile (nearest rank) of wait_seconds of answered stays; empty without any", func(t *QueueTotals) *float64 { return t.P90WaitAnswered }),
		s("avg_wait_abandoned_seconds", "mean wait_seconds of abandoned stays (short abandons apart); empty without any", func(t *QueueTotals) *float64 { return t.AvgWaitAbandoned }),
		s("p90_wait_abandoned_seconds", "90th percentile (nearest rank) of wait_seconds of abandoned stays; empty without any", func(t *QueueTotals) *float64 { return t.P90WaitAbandoned }),
		s("max_wait_seconds", "longest wait_seconds of the stays that have ended; empty without any", func(t *QueueTotals) *float64 { return t.MaxWait }),
		s("avg_handle_seconds", "(talk_seconds + wrap_up_seconds) / answered, over answered stays; empty without any", func(t *QueueTotals) *float64 { return t.AvgHandle }),
		i("callbacks_completed", "callback requests of the queue made in the period whose callback conversation took place", func(t *QueueTotals) int { return t.CallbacksDone }),
		i("callbacks_failed", "callback requests of the queue made in the period closed after every attempt failed", func(t *QueueTotals) int { return t.CallbacksFailed }),
		s("avg_callback_wait_seconds", "mean time from a callback request to the agent answering to call back; empty without any", func(t *QueueTotals) *float64 { return t.AvgCallbackWait }),
		i("service_level_threshold_seconds", "the queue's service-level threshold (default 20); empty on the total row when queues differ", func(t *QueueTotals) int { return t.ThresholdSeconds }),
		i("short_abandon_seconds", "the queue's short-abandon limit, 0 when off (the default); empty on the total row when queues differ", func(t *QueueTotals) int { return t.ShortAbandonBelow }),
	}
}

func queueSummaryColumns() []column[QueueRow] {
	return append([]column[QueueRow]{{"queue", "the queue; " + TotalRow + " for all the report's queues together", func(r QueueRow) string { return text(r.Queue) }}},
		queueTotalsColumns()...)
}

// WriteQueueCallersSummary writes one row per queue and a total row.
// The total row's settings columns are empty where its queues' settings
// differ: its answered_within_threshold counts each caller against their
// own queue's threshold, which no one number describes.
func WriteQueueCallersSummary(w io.Writer, r QueueCallers) error {
	rows := append(slices.Clone(r.Queues), QueueRow{Queue: TotalRow, QueueTotals: r.Totals})
	cols := queueSummaryColumns()
	same := func(f func(QueueTotals) int) bool {
		for _, q := range r.Queues {
			if f(q.QueueTotals) != f(r.Queues[0].QueueTotals) {
				return false
			}
		}
		return true
	}
	for i := range cols {
		var f func(QueueTotals) int
		switch cols[i].name {
		case "service_level_threshold_seconds":
			f = func(t QueueTotals) int { return t.ThresholdSeconds }
		case "short_abandon_seconds":
			f = func(t QueueTotals) int { return t.ShortAbandonBelow }
		default:
			continue
		}
		if !same(f) {
			cell := cols[i].cell
			cols[i].cell = func(q QueueRow) string {
				if q.Queue == TotalRow {
					return ""
				}
				return cell(q)
			}
		}
	}
	if err := writeTable(w, cols, rows); err != nil {
		return fmt.Errorf("writing the queue-callers summary: %w", err)
	}
	return nil
}

func stintColumns(loc *time.Location) []column[Stint] {
	return []column[Stint]{
		{"call_id", "the SIP Call-ID of the caller's call", func(s Stint) string { return text(s.CallID) }},
		{"interaction", "the inbound call the stay belongs to, the same across transfers and callbacks", func(s Stint) string { return text(s.Interaction) }},
		{"queue", "the queue", func(s Stint) string { return text(s.Queue) }},
		{"caller", "the caller's number as presented", func(s Stint) string { return text(s.Caller) }},
		{"joined", "when the caller joined the queue (RFC 3339, in the report's time zone); the stay belongs to the period this falls in", func(s Stint) string { return instant(s.Joined, loc) }},
		{"ended", "when the wait ended; empty while waiting", func(s Stint) string { return instant(s.Ended, loc) }},
		{"outcome", "what ended the wait: answered, abandoned, short_abandoned, callback_requested, timed_out, exited, server_stopped, or waiting (not ended when the report was made)", func(s Stint) string { return text(s.Outcome) }},
		{"wait_seconds", "joined to ended (to the report's making while waiting)", func(s Stint) string { return seconds(s.WaitS) }},
		{"agent", "the agent who answered; empty otherwise", func(s Stint) string { return text(s.Agent) }},
		{"talk_seconds", "the answered conversation's talk time", func(s Stint) string { return seconds(s.TalkS) }},
		{"wrap_up_seconds", "the answering agent's wrap-up after it", func(s Stint) string { return seconds(s.WrapUpS) }},
		{"offers", "how many times agents' phones rang for the caller", func(s Stint) string { return integer(s.Offers) }},
	}
}

// WriteQueueCallersDetail writes one row per stay, every Stint field,
// times in loc.
func WriteQueueCallersDetail(w io.Writer, stints []Stint, loc *time.Location) error {
	if err := writeTable(w, stintColumns(loc), stints); err != nil {
		return fmt.Errorf("writing the queue-callers detail: %w", err)
	}
	return nil
}

// Agent performance.

// Flattened maps: one column per key, named field[key]. The brackets
// keep a key with a dot or a space unambiguous; "[]" is a pause without
// a reason.
const (
	pausedByReasonColumn = "paused_by_reason_seconds"
	queueShareColumn     = "queue_share"
)

func keyed(field, key string) string { return field + "[" + key + "]" }

func agentColumns(reasons, queues []string) []column[AgentRow] {
	sec := func(name, def string, f func(*AgentTotals) float64) column[AgentRow] {
		return column[AgentRow]{name, def, func(r AgentRow) string { return seconds(f(&r.AgentTotals)) }}
	}
	i := func(name, def string, f func(*AgentTotals) int) column[AgentRow] {
		return column[AgentRow]{name, def, func(r AgentRow) string { return integer(f(&r.AgentTotals)) }}
	}
	cols := []column[AgentRow]{
		{"agent", "the agent's id; " + TotalRow + " for all the report's agents together", func(r AgentRow) string { return text(r.Agent) }},
		{"name", "the agent's name", func(r AgentRow) string { return text(r.Name) }},
		sec("logged_in_seconds", "time in any state but logged-out: the sum of the agent's detail seconds", func(t *AgentTotals) float64 { return t.LoggedInS }),
		sec("ready_seconds", "time ready for a call; detail state ready", func(t *AgentTotals) float64 { return t.ReadyS }),
		sec("ringing_seconds", "time the agent's phone rang; detail state offered", func(t *AgentTotals) float64 { return t.RingingS }),
		sec("on_call_seconds", "time on calls; detail state on-call", func(t *AgentTotals) float64 { return t.OnCallS }),
		sec("wrap_up_seconds", "time in wrap-up after calls; detail state wrap-up", func(t *AgentTotals) float64 { return t.WrapUpS }),
		sec("paused_seconds", "time paused; detail state paused", func(t *AgentTotals) float64 { return t.PausedS }),
	}
	for _, reason := range reasons {
		def := "time paused with the reason " + reason
		if reason == "" {
			def = "time paused without a reason"
		}
		cols = append(cols, column[AgentRow]{keyed(pausedByReasonColumn, reason), def + "; detail state paused with that reason",
			func(r AgentRow) string { return seconds(r.PausedByReason[reason]) }})
	}
	cols = append(cols,
		i("offered", "offers of calls that rang the agent, counted in the period the ring began; detail rows of state offered", func(t *AgentTotals) int { return t.Offered }),
		i("answered", "calls the agent answered (queue calls, callbacks, direct transfers), counted in the period the answer fell in; detail rows of state on-call", func(t *AgentTotals) int { return t.Answered }),
		i("missed", "offers the agent's phone did not take (no answer, busy, declined, unreachable); not in the detail, whose offered rows do not say why a ring ended", func(t *AgentTotals) int { return t.Missed }),
		column[AgentRow]{"avg_handle_seconds", "(on_call_seconds + wrap_up_seconds) / answered; empty when answered is 0", func(r AgentRow) string { return optSeconds(r.AvgHandle) }},
		column[AgentRow]{"occupancy", "(ringing + on call + wrap-up) / (ready + ringing + on call + wrap-up) seconds, a fraction; empty when that is 0", func(r AgentRow) string { return fraction(r.Occupancy) }},
	)
	for _, q := range queues {
		cols = append(cols, column[AgentRow]{keyed(queueShareColumn, q), "the share of the agent's handle time (ringing, on call and wrap-up) on queue calls spent on calls of the queue " + q + "; empty without such time",
			func(r AgentRow) string {
				if len(r.QueueShare) == 0 {
					return ""
				}
				v := r.QueueShare[q]
				return fraction(&v)
			}})
	}
	return cols
}

// agentKeys lists the pause reasons and queues the rows name, sorted, for
// the flattened columns.
func agentKeys(rows []AgentRow) (reasons, queues []string) {
	seenR, seenQ := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		for k := range r.PausedByReason {
			if !seenR[k] {
				seenR[k] = true
				reasons = append(reasons, k)
			}
		}
		for k := range r.QueueShare {
			if !seenQ[k] {
				seenQ[k] = true
				queues = append(queues, k)
			}
		}
	}
	slices.Sort(reasons)
	slices.Sort(queues)
	return reasons, queues
}

// WriteAgentPerformanceSummary writes one row per agent and a total row;
// paused_by_reason_seconds and queue_share become a column per reason and
// per queue.
func WriteAgentPerformanceSummary(w io.Writer, r AgentPerformance) error {
	rows := append(slices.Clone(r.Agents), AgentRow{Agent: TotalRow, AgentTotals: r.Totals})
	reasons, queues := agentKeys(rows)
	if err := writeTable(w, agentColumns(reasons, queues), rows); err != nil {
		return fmt.Errorf("writing the agent-performance summary: %w", err)
	}
	return nil
}

func intervalColumns(loc *time.Location) []column[Interval] {
	return []column[Interval]{
		{"agent", "the agent's id", func(v Interval) string { return text(v.Agent) }},
		{"state", "ready, offered (the phone rang), on-call, wrap-up or paused", func(v Interval) string { return text(v.State) }},
		{"reason", "the pause reason, for paused; empty for a pause without one", func(v Interval) string { return text(v.Reason) }},
		{"queue", "the call's queue, for offered, on-call and wrap-up; empty for a direct call", func(v Interval) string { return text(v.Queue) }},
		{"call_id", "the call, for offered, on-call and wrap-up", func(v Interval) string { return text(v.CallID) }},
		{"from", "the start, clipped to the report's start (RFC 3339, in the report's time zone)", func(v Interval) string { return instant(v.From, loc) }},
		{"to", "the end, clipped to the report's end or the report's making", func(v Interval) string { return instant(v.To, loc) }},
		{"seconds", "to - from", func(v Interval) string { return seconds(v.S) }},
	}
}

// WriteAgentPerformanceDetail writes one row per state interval, times
// in loc.
func WriteAgentPerformanceDetail(w io.Writer, intervals []Interval, loc *time.Location) error {
	if err := writeTable(w, intervalColumns(loc), intervals); err != nil {
		return fmt.Errorf("writing the agent-performance detail: %w", err)
	}
	return nil
}

// definition is one row of definitions.csv.
type definition struct{ file, column, def string }

func definitionsOf[T any](file string, cols []column[T]) []definition {
	out := make([]definition, len(cols))
	for i, c := range cols {
		out[i] = definition{file, c.name, c.def}
	}
	return out
}

// WriteDefinitions writes definitions.csv: file, column, definition for
// every column of the named files, so that an export explains itself.
// The flattened columns of the agent summary appear once each, with KEY
// for the reason or queue.
func WriteDefinitions(w io.Writer, files []string) error {
	var defs []definition
	for _, f := range files {
		switch f {
		case QueueCallersSummaryCSV:
			defs = append(defs, definitionsOf(f, queueSummaryColumns())...)
		case QueueCallersDetailCSV:
			defs = append(defs, definitionsOf(f, stintColumns(nil))...)
		case AgentPerformanceSummaryCSV:
			for _, d := range definitionsOf(f, agentColumns([]string{"KEY"}, []string{"KEY"})) {
				switch d.column {
				case keyed(pausedByReasonColumn, "KEY"):
					d.def = "time paused with the reason KEY; " + keyed(pausedByReasonColumn, "") + " is a pause without a reason"
				case keyed(queueShareColumn, "KEY"):
					d.def = "the share of the agent's handle time (ringing, on call and wrap-up) on queue calls spent on calls of the queue KEY, a fraction (direct calls have no queue and are left out; the shares add up to 1); empty without such time"
				}
				defs = append(defs, d)
			}
		case AgentPerformanceDetailCSV:
			defs = append(defs, definitionsOf(f, intervalColumns(nil))...)
		default:
			return fmt.Errorf("definitions: no file %q", f)
		}
	}
	cols := []column[definition]{
		{"file", "", func(d definition) string { return text(d.file) }},
		{"column", "", func(d definition) string { return text(d.column) }},
		{"definition", "", func(d definition) string { return text(d.def) }},
	}
	if err := writeTable(w, cols, defs); err != nil {
		return fmt.Errorf("writing the definitions: %w", err)
	}
	return nil
}
