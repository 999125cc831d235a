package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// dayNS is a UTC day; report_agent_days splits intervals at its bounds.
const dayNS = int64(86400e9)

// applier applies the events of one batch inside its transaction.
type applier struct {
	tx    *sql.Tx
	st    *state
	dirty map[string]bool // agents whose open interval changed
	stmt  map[string]*sql.Stmt
}

// statements are what a batch uses, prepared once per batch.
func statements() map[string]string {
	return map[string]string{
		"join":     `INSERT INTO report_stints(id, call_id, interaction, queue, caller, joined_ns, outcome) VALUES (?, ?, ?, ?, ?, ?, 'waiting')`,
		"offer":    `UPDATE report_stints SET offers = offers + 1 WHERE id = ?`,
		"end":      `UPDATE report_stints SET outcome = ?, ended_ns = ?, wait_ms = ?, agent = ?, open = ? WHERE id = ?`,
		"talk":     `UPDATE report_stints SET talk_ms = talk_ms + ?, open = 0 WHERE id = ?`,
		"wrap":     `UPDATE report_stints SET wrap_ms = wrap_ms + ? WHERE id = ?`,
		"interval": `INSERT INTO report_intervals(agent, state, reason, queue, call_id, queues, from_ns, to_ns, missed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		"day": `INSERT INTO report_agent_days(agent, day_ns, state, reason, queue, queues, ns, starts, missed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET ns = ns + excluded.ns, starts = starts + excluded.starts, missed = missed + excluded.missed`,
		"agent":  `INSERT OR REPLACE INTO report_agent_state(agent, state, since_ns, reason, queue, call_id, stint, missed, queues, iv_queues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		"cbreq":  `INSERT OR IGNORE INTO report_callbacks(request, queue, interaction, requested_ns) VALUES (?, ?, ?, ?)`,
		"cbans":  `UPDATE report_callbacks SET answered_ns = ?, agent = ? WHERE request = ? AND answered_ns = 0`,
		"cbdone": `UPDATE report_callbacks SET outcome = ?, closed_ns = ? WHERE request = ?`,
		"pos":    `UPDATE report_position SET seq = ?, last_at_ns = ?, max_interval_ns = ?`,
	}
}

func newApplier(ctx context.Context, tx *sql.Tx, st *state) (*applier, error) {
	a := &applier{tx: tx, st: st, dirty: map[string]bool{}, stmt: map[string]*sql.Stmt{}}
	for name, q := range statements() {
		s, err := tx.PrepareContext(ctx, q)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("preparing the projection statement %s: %w", name, err)
		}
		a.stmt[name] = s
	}
	return a, nil
}

func (a *applier) close() {
	for _, s := range a.stmt {
		s.Close()
	}
}

func (a *applier) exec(name string, args ...any) error {
	if _, err := a.stmt[name].Exec(args...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// finish writes the agents' open intervals and the position.
func (a *applier) finish() error {
	for id := range a.dirty {
		ag := a.st.agents[id]
		if err := a.exec("agent", id, ag.state, ag.since, ag.reason, ag.queue, ag.call, ag.stint, ag.missed, ag.queues.key(), ag.ivQueues.key()); err != nil {
			return err
		}
	}
	return a.exec("pos", a.st.seq, a.st.lastAt, a.st.maxInterval)
}

// apply applies one event. Kinds that no figure reads are skipped
// without decoding: most of the log (dial-plan steps, audit) is those.
func (a *applier) apply(e store.Event) error {
	at := e.At.UnixNano()
	defer func() {
		a.st.seq = e.Seq
		a.st.lastAt = max(a.st.lastAt, at)
	}()
	if e.Version != event.Version {
		return nil // rows from before typed events carry no figures
	}
	switch e.Type {
	case "caller.joined":
		var p event.CallerJoined
		if err := decode(e, &p); err != nil {
			return err
		}
		a.st.open[e.CallID] = append(a.st.open[e.CallID], &openStint{id: e.Seq, queue: e.Queue, outcome: Waiting})
		return a.exec("join", e.Seq, e.CallID, e.Interaction, e.Queue, p.Caller, at)
	case "caller.offered":
		var p event.CallerOffered
		if err := decode(e, &p); err != nil {
			return err
		}
		if s := a.waiting(e); s != nil && !p.Callback {
			return a.exec("offer", s.id)
		}
	case "agent.answered":
		var p event.AgentAnswered
		if err := decode(e, &p); err != nil {
			return err
		}
		if s := a.waiting(e); s != nil {
			s.outcome, s.agent = Answered, e.Agent
			if ag := a.st.agents[e.Agent]; ag != nil {
				ag.stint = s.id
				a.dirty[e.Agent] = true
			}
			return a.exec("end", Answered, at, p.WaitedMS, e.Agent, 1, s.id)
		}
	case "caller.abandoned", "caller.timeout", "caller.exit", "caller.server_stopped", "callback.requested":
		var p struct {
			WaitedMS int64 `json:"waited_ms"`
			Request  int64 `json:"request"`
		}
		if err := decode(e, &p); err != nil {
			return err
		}
		if e.Type == "callback.requested" {
			if err := a.exec("cbreq", p.Request, e.Queue, e.Interaction, at); err != nil {
				return err
			}
		}
		if s := a.waiting(e); s != nil {
			a.drop(e.CallID, s)
			return a.exec("end", outcomeOf(e.Type), at, p.WaitedMS, "", 0, s.id)
		}
	case "call.ended":
		var p event.CallEnded
		if err := decode(e, &p); err != nil {
			return err
		}
		for _, s := range a.st.open[e.CallID] {
			if s.outcome == Answered && s.agent == e.Agent {
				a.drop(e.CallID, s)
				return a.exec("talk", p.TalkMS, s.id)
			}
		}
	case "agent.state":
		var p event.AgentState
		if err := decode(e, &p); err != nil {
			return err
		}
		return a.agentState(e, p, at)
	case "agent.missed":
		if ag := a.st.agents[e.Agent]; ag != nil && ag.state == "offered" {
			ag.missed = true
			a.dirty[e.Agent] = true
		}
	case "agent.logged_in", "agent.logged_out":
		ag := a.agent(e.Agent)
		in := e.Type == "agent.logged_in"
		ag.queues = ag.queues.with(e.Queue, in)
		if in {
			ag.ivQueues = ag.ivQueues.with(e.Queue, true)
		}
	case "callback.agent_answered":
		var p event.CallbackAgentAnswered
		if err := decode(e, &p); err != nil {
			return err
		}
		return a.exec("cbans", at, e.Agent, p.Request)
	case "callback.completed", "callback.failed":
		var p struct {
			Request int64 `json:"request"`
		}
		if err := decode(e, &p); err != nil {
			return err
		}
		return a.exec("cbdone", strings.TrimPrefix(e.Type, "callback."), at, p.Request)
	case "server.started":
		return a.restarted()
	}
	return nil
}

// outcomeOf names the outcome an ending event gives a stay.
func outcomeOf(kind string) string {
	switch kind {
	case "caller.abandoned":
		return Abandoned
	case "caller.timeout":
		return TimedOut
	case "caller.exit":
		return Exited
	case "caller.server_stopped":
		return ServerStopped
	}
	return CallbackRequested
}

// unreadable is an event whose data does not decode: the projector
// passes over it (and says so) rather than stop at it for ever.
type unreadable struct{ err error }

func (u *unreadable) Error() string { return "decoding: " + u.err.Error() }

func decode(e store.Event, p any) error {
	if len(e.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(e.Data, p); err != nil {
		return &unreadable{err}
	}
	return nil
}

// waiting is the caller's stay still waiting in the event's queue.
func (a *applier) waiting(e store.Event) *openStint {
	list := a.st.open[e.CallID]
	for i := len(list) - 1; i >= 0; i-- {
		if s := list[i]; s.outcome == Waiting && s.queue == e.Queue {
			return s
		}
	}
	return nil
}

// drop stops following a stay.
func (a *applier) drop(call string, s *openStint) {
	list := slices.DeleteFunc(a.st.open[call], func(o *openStint) bool { return o == s })
	if len(list) == 0 {
		delete(a.st.open, call)
		return
	}
	a.st.open[call] = list
}

func (a *applier) agent(id string) *agentState {
	ag := a.st.agents[id]
	if ag == nil {
		ag = &agentState{state: "logged-out"}
		a.st.agents[id] = ag
	}
	a.dirty[id] = true
	return ag
}

// agentState ends the agent's open interval at the change and opens the
// next. The queue and call of an interval are the event's that opened
// it, for the states that concern a call (offered, on-call, wrap-up).
func (a *applier) agentState(e store.Event, p event.AgentState, at int64) error {
	ag := a.agent(e.Agent)
	if err := a.closeInterval(e.Agent, ag, at); err != nil {
		return err
	}
	next := &agentState{state: p.To, since: at, reason: p.Reason, queues: ag.queues, ivQueues: ag.queues}
	switch p.To {
	case "offered", "on-call":
		next.queue, next.call = e.Queue, e.CallID
	case "wrap-up":
		next.queue, next.call, next.stint = e.Queue, e.CallID, ag.stint
	}
	*ag = *next
	return nil
}

// closeInterval stores the agent's open interval, ending at at, with its
// share of each UTC day, and gives a wrap-up's length to the stay whose
// call it followed. Logged-out time is no interval.
func (a *applier) closeInterval(id string, ag *agentState, at int64) error {
	if ag.state == "logged-out" || ag.state == "" || at < ag.since {
		return nil
	}
	qs := ag.ivQueues.key()
	if err := a.exec("interval", id, ag.state, ag.reason, ag.queue, ag.call, qs, ag.since, at, ag.missed); err != nil {
		return err
	}
	a.st.maxInterval = max(a.st.maxInterval, at-ag.since)
	for day := ag.since - ag.since%dayNS; ; day += dayNS {
		ns := min(at, day+dayNS) - max(ag.since, day)
		first := day <= ag.since
		if err := a.exec("day", id, day, ag.state, ag.reason, ag.queue, qs, ns, first, first && ag.missed); err != nil {
			return err
		}
		if day+dayNS >= at {
			break
		}
	}
	if ag.state == "wrap-up" && ag.stint != 0 {
		return a.exec("wrap", (at-ag.since)/1e6, ag.stint)
	}
	return nil
}

// restarted: the server started on this log, so whatever was open before
// ended with the last event it wrote (a clean stop logged it; after a
// crash the last event is the best bound there is). Agents are restored
// with events of their own.
func (a *applier) restarted() error {
	for id, ag := range a.st.agents {
		if ag.state == "logged-out" {
			continue
		}
		if err := a.closeInterval(id, ag, a.st.lastAt); err != nil {
			return err
		}
		*ag = agentState{state: "logged-out", since: a.st.lastAt, queues: ag.queues, ivQueues: ag.queues}
		a.dirty[id] = true
	}
	if len(a.st.open) > 0 {
		// A clean stop ends every waiting caller with an event of its
		// own; a caller still waiting here was cut off by a crash, which
		// is the same for the centre: the server stopped, at the last
		// event it wrote. An answered call's talk runs to that point.
		if _, err := a.tx.Exec(`UPDATE report_stints SET outcome = ?, ended_ns = ?, wait_ms = MAX(0, (? - joined_ns) / 1000000), open = 0
			WHERE open = 1 AND outcome = ?`, ServerStopped, a.st.lastAt, a.st.lastAt, Waiting); err != nil {
			return fmt.Errorf("ending the stays a crash left waiting: %w", err)
		}
		if _, err := a.tx.Exec(`UPDATE report_stints SET talk_ms = talk_ms + MAX(0, (? - ended_ns) / 1000000), open = 0
			WHERE open = 1`, a.st.lastAt); err != nil {
			return fmt.Errorf("ending the calls a crash left talking: %w", err)
		}
		a.st.open = map[string][]*openStint{}
	}
	return nil
}

// queueSet is the queues an agent is logged in to, sorted.
type queueSet []string

func parseQueueSet(s string) queueSet {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// key is the set as stored: ",a,b," so that a queue is found with
// its commas, or "" for none.
func (q queueSet) key() string {
	if len(q) == 0 {
		return ""
	}
	return "," + strings.Join(q, ",") + ","
}

func (q queueSet) with(queue string, in bool) queueSet {
	i, found := slices.BinarySearch(q, queue)
	switch {
	case in && !found:
		return slices.Insert(slices.Clone(q), i, queue)
	case !in && found:
		return slices.Delete(slices.Clone(q), i, i+1)
	}
	return q
}
