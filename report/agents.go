package report

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// piece is the time of one kind of interval (agent, state, reason,
// queue, queue set) within a report's period: ns of it, and how many of
// those intervals started in the period (missed: offers not taken).
type piece struct {
	agent, state, reason, queue, queues string
	ns                                  int64
	starts, missed                      int
}

// callState: states whose interval belongs to one call, and so to its
// queue.
func callState(s string) bool { return s == "offered" || s == "on-call" || s == "wrap-up" }

// keep applies the filter's queues to a piece: a call's time counts for
// its queue; ready and paused time for an agent logged in to one of the
// queues at the time.
func (f Filter) keep(p piece) bool {
	if len(f.Queues) == 0 {
		return true
	}
	if callState(p.state) {
		return slices.Contains(f.Queues, p.queue)
	}
	return slices.ContainsFunc(f.Queues, func(q string) bool { return strings.Contains(p.queues, ","+q+",") })
}

// pieces sums the agents' time in the period. Whole UTC days come from
// report_agent_days; the period's partial first and last days from the
// intervals clipped to it; the open intervals run to now.
func (r *Reports) pieces(ctx context.Context, f Filter, each func(piece)) error {
	from, to := f.From.UnixNano(), f.To.UnixNano()
	firstDay := from + (dayNS-from%dayNS)%dayNS
	lastDay := to - to%dayNS
	var maxLen int64
	if err := r.o.DB.QueryRowContext(ctx, `SELECT max_interval_ns FROM report_position`).Scan(&maxLen); err != nil {
		return fmt.Errorf("reading the projections' position: %w", err)
	}
	if firstDay < lastDay {
		q := `SELECT agent, state, reason, queue, queues, SUM(ns), SUM(starts), SUM(missed) FROM report_agent_days WHERE day_ns >= ? AND day_ns < ?`
		args := []any{firstDay, lastDay}
		q, args = in(q, args, "agent", f.Agents)
		if err := r.sum(ctx, q+` GROUP BY agent, state, reason, queue, queues`, args, f, each); err != nil {
			return err
		}
		if err := r.clipped(ctx, f, from, firstDay, maxLen, each); err != nil {
			return err
		}
		if err := r.clipped(ctx, f, lastDay, to, maxLen, each); err != nil {
			return err
		}
	} else if err := r.clipped(ctx, f, from, to, maxLen, each); err != nil {
		return err
	}
	return r.open(ctx, f, func(iv Interval, qs string, missed bool, started bool) {
		p := piece{agent: iv.Agent, state: iv.State, reason: iv.Reason, queue: iv.Queue, queues: qs, ns: iv.To.Sub(iv.From).Nanoseconds()}
		if started {
			p.starts = 1
			if missed {
				p.missed = 1
			}
		}
		if f.keep(p) {
			each(p)
		}
	})
}

// clipped sums the intervals overlapping [a, b), clipped to it.
func (r *Reports) clipped(ctx context.Context, f Filter, a, b, maxLen int64, each func(piece)) error {
	if a >= b {
		return nil
	}
	q := `SELECT agent, state, reason, queue, queues, SUM(MIN(to_ns, ?2) - MAX(from_ns, ?1)),
		SUM(from_ns >= ?1), SUM(from_ns >= ?1 AND missed)
		FROM report_intervals WHERE from_ns >= ?3 AND from_ns < ?2 AND to_ns > ?1`
	args := []any{a, b, a - maxLen}
	q, args = in(q, args, "agent", f.Agents)
	return r.sum(ctx, q+` GROUP BY agent, state, reason, queue, queues`, args, f, each)
}

func (r *Reports) sum(ctx context.Context, q string, args []any, f Filter, each func(piece)) error {
	rows, err := r.o.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("summing agents' time: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p piece
		if err := rows.Scan(&p.agent, &p.state, &p.reason, &p.queue, &p.queues, &p.ns, &p.starts, &p.missed); err != nil {
			return fmt.Errorf("summing agents' time: %w", err)
		}
		if f.keep(p) {
			each(p)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("summing agents' time: %w", err)
	}
	return nil
}

// open gives each agent's open interval clipped to the period, up to
// now; started says it began in the period.
func (r *Reports) open(ctx context.Context, f Filter, each func(iv Interval, queues string, missed, started bool)) error {
	now := r.o.Now()
	end := f.To
	if now.Before(end) {
		end = now
	}
	q := `SELECT agent, state, since_ns, reason, queue, call_id, missed, iv_queues FROM report_agent_state WHERE state != 'logged-out' AND since_ns < ?`
	args := []any{end.UnixNano()}
	q, args = in(q, args, "agent", f.Agents)
	rows, err := r.o.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("reading agents' open intervals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var iv Interval
		var since int64
		var missed bool
		var qs string
		if err := rows.Scan(&iv.Agent, &iv.State, &since, &iv.Reason, &iv.Queue, &iv.CallID, &missed, &qs); err != nil {
			return fmt.Errorf("reading agents' open intervals: %w", err)
		}
		iv.From, iv.To = time.Unix(0, since), end
		started := !iv.From.Before(f.From)
		if !started {
			iv.From = f.From
		}
		if !iv.To.After(iv.From) {
			continue
		}
		each(iv, qs, missed, started)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading agents' open intervals: %w", err)
	}
	return nil
}

// agentAcc sums one agent's figures, or everyone's.
type agentAcc struct {
	ns                        map[string]int64 // by state
	paused                    map[string]int64 // by reason
	byQueue                   map[string]int64 // ringing, on call and wrap-up, by the call's queue
	offered, answered, missed int
}

func newAgentAcc() *agentAcc {
	return &agentAcc{ns: map[string]int64{}, paused: map[string]int64{}, byQueue: map[string]int64{}}
}

func (a *agentAcc) add(p piece) {
	a.ns[p.state] += p.ns
	switch p.state {
	case "paused":
		a.paused[p.reason] += p.ns
	case "offered":
		a.offered += p.starts
		a.missed += p.missed
	case "on-call":
		// Every on-call interval is an answer: a queue's call, a
		// callback or a direct transfer.
		a.answered += p.starts
	}
	if callState(p.state) && p.queue != "" {
		a.byQueue[p.queue] += p.ns
	}
}

func (a *agentAcc) totals() AgentTotals {
	s := func(state string) float64 { return float64(a.ns[state]) / 1e9 }
	t := AgentTotals{
		ReadyS: s("ready"), RingingS: s("offered"), OnCallS: s("on-call"), WrapUpS: s("wrap-up"), PausedS: s("paused"),
		PausedByReason: map[string]float64{}, QueueShare: map[string]float64{},
		Offered: a.offered, Answered: a.answered, Missed: a.missed,
	}
	t.LoggedInS = t.ReadyS + t.RingingS + t.OnCallS + t.WrapUpS + t.PausedS
	for reason, ns := range a.paused {
		t.PausedByReason[reason] = float64(ns) / 1e9
	}
	t.AvgHandle = ratio(t.OnCallS+t.WrapUpS, float64(t.Answered))
	busy := t.RingingS + t.OnCallS + t.WrapUpS
	t.Occupancy = ratio(busy, t.ReadyS+busy)
	var queued int64
	for _, ns := range a.byQueue {
		queued += ns
	}
	for q, ns := range a.byQueue {
		t.QueueShare[q] = float64(ns) / float64(queued)
	}
	return t
}

// AgentPerformance is the agent-performance report: each agent's time in
// each state clipped to the period, the offers that rang it (counted in
// the period they began), answered and missed, handle time (on call and
// wrap-up over answered), occupancy and its queues' shares.
func (r *Reports) AgentPerformance(ctx context.Context, f Filter) (AgentPerformance, error) {
	if err := r.prepare(ctx, &f); err != nil {
		return AgentPerformance{}, err
	}
	total := newAgentAcc()
	agents := map[string]*agentAcc{}
	err := r.pieces(ctx, f, func(p piece) {
		a := agents[p.agent]
		if a == nil {
			a = newAgentAcc()
			agents[p.agent] = a
		}
		a.add(p)
		total.add(p)
	})
	if err != nil {
		return AgentPerformance{}, err
	}
	out := AgentPerformance{From: f.From, To: f.To, TimeZone: f.Location.String(), Totals: total.totals(), Agents: []AgentRow{}}
	for _, id := range slices.Sorted(maps.Keys(agents)) {
		out.Agents = append(out.Agents, AgentRow{Agent: id, Name: r.o.Names(id), AgentTotals: agents[id].totals()})
	}
	return out, nil
}

// IntervalsLimit bounds one list of intervals.
const IntervalsLimit = 100000

// Intervals lists the agents' state intervals overlapping the period,
// clipped to it, in order of start, the open ones up to now; at most
// limit (0: IntervalsLimit); more says the list was cut.
func (r *Reports) Intervals(ctx context.Context, f Filter, limit int) (list []Interval, more bool, err error) {
	if limit <= 0 || limit > IntervalsLimit {
		limit = IntervalsLimit
	}
	if err := r.prepare(ctx, &f); err != nil {
		return nil, false, err
	}
	from, to := f.From.UnixNano(), f.To.UnixNano()
	var maxLen int64
	if err := r.o.DB.QueryRowContext(ctx, `SELECT max_interval_ns FROM report_position`).Scan(&maxLen); err != nil {
		return nil, false, fmt.Errorf("reading the projections' position: %w", err)
	}
	q := `SELECT agent, state, reason, queue, call_id, queues, from_ns, to_ns FROM report_intervals
		WHERE from_ns >= ? AND from_ns < ? AND to_ns > ?`
	args := []any{from - maxLen, to, from}
	q, args = in(q, args, "agent", f.Agents)
	rows, err := r.o.DB.QueryContext(ctx, q+` ORDER BY from_ns, id`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("listing agents' intervals: %w", err)
	}
	defer rows.Close()
	list = []Interval{}
	for rows.Next() {
		var iv Interval
		var qs string
		var a, b int64
		if err := rows.Scan(&iv.Agent, &iv.State, &iv.Reason, &iv.Queue, &iv.CallID, &qs, &a, &b); err != nil {
			return nil, false, fmt.Errorf("listing agents' intervals: %w", err)
		}
		if !f.keep(piece{state: iv.State, queue: iv.Queue, queues: qs}) {
			continue
		}
		if len(list) == limit {
			return list, true, nil
		}
		iv.From, iv.To = time.Unix(0, max(a, from)).UTC(), time.Unix(0, min(b, to)).UTC()
		iv.S = iv.To.Sub(iv.From).Seconds()
		list = append(list, iv)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("listing agents' intervals: %w", err)
	}
	err = r.open(ctx, f, func(iv Interval, qs string, _, _ bool) {
		if !f.keep(piece{state: iv.State, queue: iv.Queue, queues: qs}) || len(list) > limit {
			return
		}
		if len(list) == limit {
			more = true
			return
		}
		iv.From, iv.To = iv.From.UTC(), iv.To.UTC()
		iv.S = iv.To.Sub(iv.From).Seconds()
		list = append(list, iv)
	})
	return list, more, err
}

// Conversations is the resolved-conversations report. Chat queues fill
// it; until they exist it goes through the same checks and gives zeros.
func (r *Reports) Conversations(ctx context.Context, f Filter) (Conversations, error) {
	if err := r.prepare(ctx, &f); err != nil {
		return Conversations{}, err
	}
	return Conversations{From: f.From, To: f.To, TimeZone: f.Location.String(),
		ByChannel: map[string]int{}, ByAgent: []AgentConv{}, TopTags: []TagCount{}}, nil
}
