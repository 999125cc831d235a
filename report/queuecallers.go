package report

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"
)

// waitBounds are the wait distribution's upper bounds, in seconds: the
// "within X seconds" steps Amazon Connect offers.
func waitBounds() []int { return []int{10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 600} }

// stintRow is what the figures read of a stay.
type stintRow struct {
	queue, outcome, agent string
	joined                int64
	wait, talk, wrap      int64 // ms
}

// callbackRow is what the figures read of a callback request.
type callbackRow struct {
	queue, outcome      string
	requested, answered int64
}

// classify gives a stay its outcome under its queue's settings: an
// abandon shorter than short_abandon is a short abandon. The log keeps
// the wait, so changing the setting changes past reports too, as
// Genesys applies it.
func classify(outcome string, waitMS int64, st QueueSettings) string {
	if outcome == Abandoned && st.ShortAbandon > 0 && time.Duration(waitMS)*time.Millisecond < st.ShortAbandon {
		return ShortAbandoned
	}
	return outcome
}

// acc sums one set of figures (a queue, a day, the whole report).
type acc struct {
	t                              QueueTotals
	ansWaits, abnWaits             []int64
	ansWaitSum, abnWaitSum, handle int64
	maxWait                        int64
	ended                          int
	cbWait                         int64
	cbAnswered                     int
	threshold, short               int // -1: none yet; -2: they differ
}

func newAcc() *acc { return &acc{threshold: -1, short: -1} }

func same(have, v int) int {
	if have == -1 || have == v {
		return v
	}
	return -2
}

func (a *acc) settings(st QueueSettings) {
	a.threshold = same(a.threshold, int(st.Threshold/time.Second))
	a.short = same(a.short, int(st.ShortAbandon/time.Second))
}

func (a *acc) add(s stintRow, outcome string, st QueueSettings) {
	a.settings(st)
	t := &a.t
	t.Offered++
	switch outcome {
	case Answered:
		t.Answered++
		if time.Duration(s.wait)*time.Millisecond <= st.Threshold {
			t.AnsweredWithin++
		}
		a.ansWaits = append(a.ansWaits, s.wait)
		a.ansWaitSum += s.wait
		a.handle += s.talk + s.wrap
	case Abandoned:
		t.Abandoned++
		a.abnWaits = append(a.abnWaits, s.wait)
		a.abnWaitSum += s.wait
	case ShortAbandoned:
		t.ShortAbandoned++
	case CallbackRequested:
		t.CallbackRequested++
	case TimedOut:
		t.TimedOut++
	case Exited:
		t.Exited++
	case ServerStopped:
		t.ServerStopped++
	}
	if outcome != Waiting {
		a.ended++
		a.maxWait = max(a.maxWait, s.wait)
	}
}

func (a *acc) addCallback(c callbackRow, st QueueSettings) {
	a.settings(st)
	switch c.outcome {
	case "completed":
		a.t.CallbacksDone++
	case "failed":
		a.t.CallbacksFailed++
	}
	if c.answered > 0 {
		a.cbAnswered++
		a.cbWait += c.answered - c.requested
	}
}

// totals finishes the figures.
func (a *acc) totals() QueueTotals {
	t := a.t
	t.Missed = t.Abandoned + t.TimedOut + t.Exited
	t.ServiceLevel = ratio(float64(t.AnsweredWithin), float64(t.Offered-t.ShortAbandoned-t.CallbackRequested-t.ServerStopped))
	t.AbandonRate = ratio(float64(t.Abandoned), float64(t.Offered-t.ShortAbandoned))
	t.AvgWaitAnswered = ratio(float64(a.ansWaitSum)/1e3, float64(t.Answered))
	t.AvgWaitAbandoned = ratio(float64(a.abnWaitSum)/1e3, float64(t.Abandoned))
	t.P90WaitAnswered = p90(a.ansWaits)
	t.P90WaitAbandoned = p90(a.abnWaits)
	if a.ended > 0 {
		t.MaxWait = ptr(float64(a.maxWait) / 1e3)
	}
	t.AvgHandle = ratio(float64(a.handle)/1e3, float64(t.Answered))
	t.AvgCallbackWait = ratio(float64(a.cbWait)/1e9, float64(a.cbAnswered))
	t.ThresholdSeconds = max(a.threshold, 0)
	if a.threshold == -1 {
		t.ThresholdSeconds = int(DefaultThreshold / time.Second)
	}
	t.ShortAbandonBelow = max(a.short, 0)
	return t
}

// p90 is the 90th percentile of waits (ms) in seconds, by nearest rank:
// the smallest wait at least 90 % of the callers waited no longer than
// (the ⌈0.9·n⌉-th smallest), a wait some caller actually had, which is
// what a supervisor checks against; null without waits. It sorts ws.
func p90(ws []int64) *float64 {
	if len(ws) == 0 {
		return nil
	}
	slices.Sort(ws)
	rank := int(math.Ceil(0.9 * float64(len(ws))))
	return ptr(float64(ws[rank-1]) / 1e3)
}

// QueueCallers is the queue-caller report. A stay belongs to the period
// its joining falls in (a call spanning midnight counts on the day it
// joined); a callback request to the period it was made in.
func (r *Reports) QueueCallers(ctx context.Context, f Filter) (QueueCallers, error) {
	if err := r.prepare(ctx, &f); err != nil {
		return QueueCallers{}, err
	}
	out := QueueCallers{From: f.From, To: f.To, TimeZone: f.Location.String()}
	total := newAcc()
	queues := map[string]*acc{}
	for _, q := range f.Queues {
		queues[q] = newAcc()
	}
	days := map[string]*acc{}
	for _, d := range localDays(f) {
		days[d] = newAcc()
	}
	type hourAcc struct {
		offered, answered int
		handle            int64
	}
	var hours [7 * 24]hourAcc
	// The same hours per service-level objective, for sizing when the
	// report's queues do not share one.
	type objective struct {
		threshold time.Duration
		target    float64
	}
	byObjective := map[objective]*[7 * 24]hourAcc{}
	waits := make([]WaitBucket, len(waitBounds())+1)
	for i, b := range waitBounds() {
		waits[i].UpTo = ptr(b)
	}
	outcomes := map[string]int{}
	for _, o := range []string{Answered, Abandoned, ShortAbandoned, CallbackRequested, TimedOut, Exited, ServerStopped, Waiting} {
		outcomes[o] = 0
	}
	settings := map[string]QueueSettings{}
	settingsOf := func(q string) QueueSettings {
		st, ok := settings[q]
		if !ok {
			st = r.settings(q)
			settings[q] = st
		}
		return st
	}
	accOf := func(m map[string]*acc, k string) *acc {
		a := m[k]
		if a == nil {
			a = newAcc()
			m[k] = a
		}
		return a
	}

	var clock localHours
	err := r.stints(ctx, f, func(s stintRow) {
		st := settingsOf(s.queue)
		outcome := classify(s.outcome, s.wait, st)
		day, cell := clock.at(s.joined, f.Location)
		for _, a := range []*acc{total, accOf(queues, s.queue), accOf(days, day)} {
			a.add(s, outcome, st)
		}
		outcomes[outcome]++
		o := objective{st.Threshold, st.Target}
		if byObjective[o] == nil {
			byObjective[o] = &[7 * 24]hourAcc{}
		}
		for _, h := range []*hourAcc{&hours[cell], &byObjective[o][cell]} {
			h.offered++
			if outcome == Answered {
				h.answered++
				h.handle += s.talk + s.wrap
			}
		}
		if outcome == Answered || outcome == Abandoned {
			b := sort.SearchInts(waitBounds(), int(math.Ceil(float64(s.wait)/1e3)))
			if outcome == Answered {
				waits[b].Answered++
			} else {
				waits[b].Abandoned++
			}
		}
	})
	if err != nil {
		return QueueCallers{}, err
	}
	err = r.callbacks(ctx, f, func(c callbackRow) {
		st := settingsOf(c.queue)
		day, _ := clock.at(c.requested, f.Location)
		for _, a := range []*acc{total, accOf(queues, c.queue), accOf(days, day)} {
			a.addCallback(c, st)
		}
	})
	if err != nil {
		return QueueCallers{}, err
	}

	out.Totals = total.totals()
	for _, q := range slices.Sorted(maps.Keys(queues)) {
		out.Queues = append(out.Queues, QueueRow{Queue: q, QueueTotals: queues[q].totals()})
	}
	for _, d := range slices.Sorted(maps.Keys(days)) {
		out.Days = append(out.Days, DayRow{Date: d, QueueTotals: days[d].totals()})
	}
	occurrences := hourOccurrences(f)
	if len(byObjective) == 0 {
		byObjective[objective{DefaultThreshold, DefaultTarget}] = &hours
	}
	for i, h := range hours {
		c := HourCell{Weekday: i / 24, Hour: i % 24, Offered: h.offered, Occurrences: occurrences[i]}
		c.AvgHandle = ratio(float64(h.handle)/1e3, float64(h.answered))
		if r.o.AgentsNeeded != nil && h.offered > 0 && c.AvgHandle != nil && c.Occurrences > 0 {
			// Queues with one objective are sized together, as one pool
			// of agents; those with different objectives each by their
			// own, added up, as if each had its agents (more than a pool
			// serving all of them needs).
			n, sized := 0, false
			for o, hs := range byObjective {
				oh := hs[i]
				if oh.offered == 0 || oh.answered == 0 {
					continue
				}
				aht := float64(oh.handle) / 1e3 / float64(oh.answered)
				n += r.o.AgentsNeeded(float64(oh.offered)/float64(c.Occurrences), aht, o.threshold.Seconds(), o.target)
				sized = true
			}
			if sized {
				c.AgentsNeeded = &n
			}
		}
		out.Hours = append(out.Hours, c)
	}
	out.Waits = waits
	out.Outcomes = outcomes
	if out.Queues == nil {
		out.Queues = []QueueRow{}
	}
	return out, nil
}

// stints reads the stays that joined in the period, in order of joining.
func (r *Reports) stints(ctx context.Context, f Filter, each func(stintRow)) error {
	q := `SELECT queue, outcome, agent, joined_ns, wait_ms, talk_ms, wrap_ms FROM report_stints WHERE joined_ns >= ? AND joined_ns < ?`
	args := []any{f.From.UnixNano(), f.To.UnixNano()}
	q, args = in(q, args, "queue", f.Queues)
	q, args = in(q, args, "agent", f.Agents)
	rows, err := r.o.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("reading callers' stays: %w", err)
	}
	defer rows.Close()
	var s stintRow
	for rows.Next() {
		if err := rows.Scan(&s.queue, &s.outcome, &s.agent, &s.joined, &s.wait, &s.talk, &s.wrap); err != nil {
			return fmt.Errorf("reading callers' stays: %w", err)
		}
		each(s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading callers' stays: %w", err)
	}
	return nil
}

// callbacks reads the callback requests made in the period.
func (r *Reports) callbacks(ctx context.Context, f Filter, each func(callbackRow)) error {
	q := `SELECT queue, outcome, requested_ns, answered_ns FROM report_callbacks WHERE requested_ns >= ? AND requested_ns < ?`
	args := []any{f.From.UnixNano(), f.To.UnixNano()}
	q, args = in(q, args, "queue", f.Queues)
	q, args = in(q, args, "agent", f.Agents)
	rows, err := r.o.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("reading callback requests: %w", err)
	}
	defer rows.Close()
	var c callbackRow
	for rows.Next() {
		if err := rows.Scan(&c.queue, &c.outcome, &c.requested, &c.answered); err != nil {
			return fmt.Errorf("reading callback requests: %w", err)
		}
		each(c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading callback requests: %w", err)
	}
	return nil
}

// localHours places instants in their local day and hour-of-week cell.
// Stays come in order of joining, so the last local hour found answers
// most of them: reading the zone for each of millions of stays is most
// of a year's report otherwise.
type localHours struct {
	from, to int64 // the cached local hour, [from, to)
	day      string
	cell     int
}

func (c *localHours) at(ns int64, loc *time.Location) (day string, cell int) {
	if ns >= c.from && ns < c.to {
		return c.day, c.cell
	}
	t := time.Unix(0, ns).In(loc)
	c.from = ns - int64(t.Minute())*int64(time.Minute) - int64(t.Second())*int64(time.Second) - int64(t.Nanosecond())
	c.to = c.from + int64(time.Hour)
	c.day, c.cell = t.Format(time.DateOnly), (int(t.Weekday())+6)%7*24+t.Hour()
	return c.day, c.cell
}

// localDays lists the calendar days the period touches, in its zone.
func localDays(f Filter) []string {
	var out []string
	from := f.From.In(f.Location)
	for d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, f.Location); d.Before(f.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// hourOccurrences counts, for each weekday and hour of day (Monday 00:00
// first), the local hours of the period that overlap it: the arrival
// rate of a cell is its callers over these. A day on which clocks go
// back holds its repeated hour twice.
func hourOccurrences(f Filter) [7 * 24]int {
	var out [7 * 24]int
	from := f.From.In(f.Location)
	// Step by an hour of absolute time from the start of From's local
	// hour; zones an odd half hour off UTC keep their local hours whole.
	start := time.Date(from.Year(), from.Month(), from.Day(), from.Hour(), 0, 0, 0, f.Location)
	if start.After(f.From) {
		start = start.Add(-time.Hour)
	}
	for t := start; t.Before(f.To); t = t.Add(time.Hour) {
		l := t.In(f.Location)
		out[(int(l.Weekday())+6)%7*24+l.Hour()]++
	}
	return out
}

// Outcomes that Calls selects beyond the stored ones.
const (
	Missed         = "missed"
	AnsweredWithin = "answered_within_threshold"
)

// CallsLimit bounds one list of stays.
const CallsLimit = 100000

// Calls lists the stays behind a count of QueueCallers: those of one
// outcome (or missed, or answered within the threshold; "" for all), in
// order of joining, at most limit of them (0: CallsLimit). more says the
// list was cut.
func (r *Reports) Calls(ctx context.Context, f Filter, outcome string, limit int) (list []Stint, more bool, err error) {
	switch outcome {
	case "", Answered, Abandoned, ShortAbandoned, CallbackRequested, TimedOut, Exited, ServerStopped, Waiting, Missed, AnsweredWithin:
	default:
		return nil, false, &FilterError{"outcome", fmt.Sprintf("%q: want answered, abandoned, short_abandoned, callback_requested, timed_out, exited, server_stopped, waiting, missed or answered_within_threshold", outcome)}
	}
	if limit <= 0 || limit > CallsLimit {
		limit = CallsLimit
	}
	if err := r.prepare(ctx, &f); err != nil {
		return nil, false, err
	}
	q := `SELECT call_id, interaction, queue, caller, joined_ns, ended_ns, outcome, wait_ms, agent, talk_ms, wrap_ms, offers
		FROM report_stints WHERE joined_ns >= ? AND joined_ns < ?`
	args := []any{f.From.UnixNano(), f.To.UnixNano()}
	q, args = in(q, args, "queue", f.Queues)
	q, args = in(q, args, "agent", f.Agents)
	rows, err := r.o.DB.QueryContext(ctx, q+" ORDER BY joined_ns, id", args...)
	if err != nil {
		return nil, false, fmt.Errorf("listing callers' stays: %w", err)
	}
	defer rows.Close()
	list = []Stint{}
	for rows.Next() {
		var s Stint
		var joined, ended, wait, talk, wrap int64
		if err := rows.Scan(&s.CallID, &s.Interaction, &s.Queue, &s.Caller, &joined, &ended, &s.Outcome, &wait, &s.Agent, &talk, &wrap, &s.Offers); err != nil {
			return nil, false, fmt.Errorf("listing callers' stays: %w", err)
		}
		st := r.settings(s.Queue)
		s.Outcome = classify(s.Outcome, wait, st)
		if !selected(outcome, s.Outcome, wait, st) {
			continue
		}
		if len(list) == limit {
			return list, true, nil
		}
		s.Joined = time.Unix(0, joined).UTC()
		if ended > 0 {
			s.Ended = time.Unix(0, ended).UTC()
		}
		s.WaitS, s.TalkS, s.WrapUpS = float64(wait)/1e3, float64(talk)/1e3, float64(wrap)/1e3
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("listing callers' stays: %w", err)
	}
	return list, false, nil
}

// selected says whether a stay of outcome is behind the count want.
func selected(want, outcome string, waitMS int64, st QueueSettings) bool {
	switch want {
	case "":
		return true
	case Missed:
		return outcome == Abandoned || outcome == TimedOut || outcome == Exited
	case AnsweredWithin:
		return outcome == Answered && time.Duration(waitMS)*time.Millisecond <= st.Threshold
	}
	return outcome == want
}
