package report

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// The event log as Asterisk's queue_log, so that the reporting tools
// built on that file (QueueMetrics, Asternic and the like) keep working
// for a centre that moves to this server. Each line is
//
//	epoch|callid|queue|agent|event|data1|data2|...
//
// with the call's SIP Call-ID as the callid (Asterisk writes its
// channel's uniqueid; ours identify a call the same way, across queues
// and transfers) and "NONE" where Asterisk has no call, queue or agent.
// docs/metrics.md ("The queue_log export") has the mapping table.

// MemberName is an agent's name in the queue_log: Agent/ID, the form
// Asterisk writes with a queue member's MemberName set to Agent/ID and
// log_membername_as_agent = yes — the setup reporting tools ask for,
// since it names the person and not the phone. Asterisk without it
// writes the interface (SIP/1001, PJSIP/1001) on ADDMEMBER and
// REMOVEMEMBER; our agents are people who sign in from any phone, so
// their name is the one that stays the same.
func MemberName(agent string) string { return "Agent/" + qlField(agent) }

// qlNone is Asterisk's placeholder for a field that does not apply.
const qlNone = "NONE"

// qlField keeps a value to one field: the format has no quoting, so a
// '|' or a line break inside a caller's number or a pause reason would
// shift or split the line. SIP Call-IDs cannot contain either.
func qlField(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '|' || r == '\r' || r == '\n' {
			return '_'
		}
		return r
	}, s)
}

// stay is what the queue_log's lines need of one caller in one queue.
type stay struct {
	opos     int       // position on joining (0: joined before these events)
	holdS    int64     // wait until answered, whole seconds
	answered time.Time // when an agent answered
	ringMS   int64     // a callback's: how long the agent's phone rang
}

type callQueue struct{ call, queue string }
type callAgent struct{ call, agent string }

// queueLog is the state the lines are derived from: who waits where in
// which order (positions), when each ring began (ring times), the
// queues each agent is in and whether it is paused (PAUSE is per queue).
type queueLog struct {
	w           *bufio.Writer
	waiting     map[string][]string // queue → call ids in order of joining
	stays       map[callQueue]*stay
	rings       map[callAgent]time.Time
	transferred map[callAgent]bool
	member      map[string]map[string]bool // agent → queues
	paused      map[string]bool
}

// WriteQueueLog writes the events, in log order, as queue_log lines.
// Events with no queue_log counterpart are left out (see docs/metrics.md),
// so are rows from before events were typed (version 0); of a callback
// request's own life (its calls are "callback-N") only the conversation
// once the customer answered has lines (see callback). Positions and ring
// times count what the events show: a caller who joined before the first
// event has position 0, and an agent who logged in before it pauses with
// PAUSEALL alone, its queues being unknown.
func WriteQueueLog(w io.Writer, events []store.Event) error {
	l := &queueLog{w: bufio.NewWriter(w)}
	l.reset()
	for _, e := range events {
		if e.Version == 0 || !qlKind(e.Type) {
			continue
		}
		p, err := event.Decode(e)
		if err != nil {
			return fmt.Errorf("queue_log: %w", err)
		}
		l.event(e, p)
	}
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("writing the queue_log: %w", err)
	}
	return nil
}

// qlKind says whether a kind makes lines; the rest need no decoding.
func qlKind(kind string) bool {
	switch kind {
	case event.ServerStarted{}.Kind(), event.CallerJoined{}.Kind(), event.CallerOffered{}.Kind(), event.AgentMissed{}.Kind(),
		event.AgentAnswered{}.Kind(), event.CallerAbandoned{}.Kind(), event.CallerStopped{}.Kind(), event.CallerTimedOut{}.Kind(),
		event.CallerExited{}.Kind(), event.CallbackRequested{}.Kind(), event.CallEnded{}.Kind(), event.CallTransferred{}.Kind(),
		event.AgentLoggedIn{}.Kind(), event.AgentLoggedOut{}.Kind(), event.AgentState{}.Kind(),
		event.CallbackAgentAnswered{}.Kind(), event.CallbackConnected{}.Kind(), event.CallbackAttemptFailed{}.Kind():
		return true
	}
	return false
}

func (l *queueLog) reset() {
	l.waiting = map[string][]string{}
	l.stays = map[callQueue]*stay{}
	l.rings = map[callAgent]time.Time{}
	l.transferred = map[callAgent]bool{}
	l.member = map[string]map[string]bool{}
	l.paused = map[string]bool{}
}

func (l *queueLog) line(at time.Time, call, queue, agent, verb string, data ...string) {
	l.w.WriteString(strconv.FormatInt(at.Unix(), 10))
	for _, f := range []string{call, queue, agent, verb} {
		l.w.WriteByte('|')
		l.w.WriteString(qlField(f))
	}
	if len(data) == 0 {
		data = []string{""} // Asterisk writes "%s" of "": the line ends in '|'
	}
	for _, d := range data {
		l.w.WriteByte('|')
		l.w.WriteString(qlField(d))
	}
	l.w.WriteByte('\n')
}

func wholeSeconds(ms int64) string { return strconv.FormatInt(ms/1000, 10) }

// leave takes a caller off its queue's waiting line, giving the position
// it held (0 when it joined before these events).
func (l *queueLog) leave(call, queue string) (pos, opos int) {
	line := l.waiting[queue]
	if i := slices.Index(line, call); i >= 0 {
		pos = i + 1
		l.waiting[queue] = slices.Delete(line, i, i+1)
	}
	if s := l.stays[callQueue{call, queue}]; s != nil {
		opos = s.opos
	}
	return pos, opos
}

func (l *queueLog) event(e store.Event, p event.Payload) {
	at, call, queue := e.At, e.CallID, e.Queue
	cq, ca := callQueue{call, queue}, callAgent{call, e.Agent}
	if strings.HasPrefix(call, "callback-") {
		if st, ok := p.(event.AgentState); ok {
			l.state(at, e.Agent, st) // a pause after missing a callback's offer
			return
		}
		l.callback(e, p)
		return
	}
	switch p := p.(type) {
	case event.ServerStarted:
		// The calls did not survive the stop; the agents are restored
		// with ADDMEMBER again, as Asterisk re-adds persistent members.
		l.reset()
		l.line(at, qlNone, qlNone, qlNone, "QUEUESTART")

	case event.CallerJoined:
		l.waiting[queue] = append(l.waiting[queue], call)
		opos := len(l.waiting[queue])
		l.stays[cq] = &stay{opos: opos}
		l.line(at, call, queue, qlNone, "ENTERQUEUE", "", p.Caller, strconv.Itoa(opos))

	case event.CallerOffered:
		l.rings[ca] = at

	case event.AgentMissed:
		ring := int64(0)
		if t, ok := l.rings[ca]; ok {
			ring = at.Sub(t).Milliseconds()
			delete(l.rings, ca)
		}
		l.line(at, call, queue, MemberName(e.Agent), "RINGNOANSWER", strconv.FormatInt(ring, 10))

	case event.AgentAnswered:
		ring := int64(0)
		if t, ok := l.rings[ca]; ok {
			ring = at.Sub(t).Milliseconds()
			delete(l.rings, ca)
		}
		l.leave(call, queue)
		s := l.stays[cq]
		if s == nil {
			s = &stay{}
			l.stays[cq] = s
		}
		s.holdS, s.answered = p.WaitedMS/1000, at
		// The bridged channel's uniqueid: the agent's leg has no id in
		// the log, and the tools do not read it; left empty.
		l.line(at, call, queue, MemberName(e.Agent), "CONNECT", wholeSeconds(p.WaitedMS), "", wholeSeconds(ring))

	case event.CallerAbandoned:
		l.exit(at, cq, "ABANDON", "", p.WaitedMS)
	case event.CallerStopped:
		// Asterisk, stopped, hangs its callers up and logs each waiting
		// one as ABANDON; our reports do not count them as abandoned.
		l.exit(at, cq, "ABANDON", "", p.WaitedMS)
	case event.CallerTimedOut:
		l.exit(at, cq, "EXITWITHTIMEOUT", "", p.WaitedMS)
	case event.CallerExited:
		l.exit(at, cq, "EXITWITHKEY", "*", p.WaitedMS)
	case event.CallbackRequested:
		// Asterisk has no callback: a caller leaving for one by a key is
		// what an Asterisk queue with a callback menu logs.
		l.exit(at, cq, "EXITWITHKEY", "#", p.WaitedMS)

	case event.CallTransferred:
		if queue == "" {
			return // a direct call: no queue to log it in
		}
		s := l.stays[cq]
		if s == nil {
			s = &stay{}
		}
		talk := int64(0)
		if !s.answered.IsZero() {
			talk = at.Sub(s.answered).Milliseconds()
		}
		l.transferred[ca] = true
		l.line(at, call, queue, MemberName(e.Agent), "BLINDTRANSFER", p.To, p.Target,
			strconv.FormatInt(s.holdS, 10), wholeSeconds(talk), strconv.Itoa(s.opos))

	case event.CallEnded:
		if queue == "" {
			return
		}
		s := l.stays[cq]
		delete(l.stays, cq)
		if l.transferred[ca] {
			// Asterisk logs the transfer in place of the completion.
			delete(l.transferred, ca)
			return
		}
		if s == nil {
			s = &stay{}
		}
		verb := "COMPLETEAGENT" // the agent's side, or the server, ended it
		if p.EndedBy == "caller" {
			verb = "COMPLETECALLER"
		}
		l.line(at, call, queue, MemberName(e.Agent), verb, strconv.FormatInt(s.holdS, 10), wholeSeconds(p.TalkMS), strconv.Itoa(s.opos))

	case event.AgentLoggedIn:
		if l.member[e.Agent] == nil {
			l.member[e.Agent] = map[string]bool{}
		}
		l.member[e.Agent][queue] = true
		flag := ""
		if l.paused[e.Agent] {
			flag = "PAUSED" // as Asterisk adds a paused member
		}
		l.line(at, qlNone, queue, MemberName(e.Agent), "ADDMEMBER", flag)

	case event.AgentLoggedOut:
		if l.member[e.Agent] == nil {
			l.member[e.Agent] = map[string]bool{}
		}
		delete(l.member[e.Agent], queue)
		l.line(at, qlNone, queue, MemberName(e.Agent), "REMOVEMEMBER")

	case event.AgentState:
		l.state(at, e.Agent, p)
	}
}

// callback writes a callback request's conversation as the call an
// Asterisk callback places into the queue for the customer: a call of its
// own (callid callback-N) that enters the queue and is connected to the
// agent when the customer answers (ENTERQUEUE, position 1, with the
// customer's number; CONNECT, hold time 0, the agent's ring time), then
// COMPLETECALLER when the customer hangs up or COMPLETEAGENT otherwise.
// The caller's own wait ended with EXITWITHKEY #. Attempts that did not
// reach the customer, and the agent's missed rings for the request, have
// no line: no call entered the queue for them.
func (l *queueLog) callback(e store.Event, p event.Payload) {
	at, call, queue := e.At, e.CallID, e.Queue
	cq, ca := callQueue{call, queue}, callAgent{call, e.Agent}
	switch p := p.(type) {
	case event.CallerOffered:
		l.rings[ca] = at
	case event.AgentMissed:
		delete(l.rings, ca)
	case event.CallbackAgentAnswered:
		s := &stay{opos: 1}
		if t, ok := l.rings[ca]; ok {
			s.ringMS = at.Sub(t).Milliseconds()
			delete(l.rings, ca)
		}
		l.stays[cq] = s
	case event.CallbackAttemptFailed:
		delete(l.stays, cq)
	case event.CallbackConnected:
		s := l.stays[cq]
		if s == nil {
			s = &stay{opos: 1}
			l.stays[cq] = s
		}
		s.answered = at
		l.line(at, call, queue, qlNone, "ENTERQUEUE", "", p.Number, "1")
		l.line(at, call, queue, MemberName(e.Agent), "CONNECT", "0", "", wholeSeconds(s.ringMS))
	case event.CallEnded:
		s := l.stays[cq]
		delete(l.stays, cq)
		if s == nil || s.answered.IsZero() {
			return // connected before these events: no ENTERQUEUE to complete
		}
		verb := "COMPLETEAGENT"
		if p.EndedBy == "customer" {
			verb = "COMPLETECALLER"
		}
		l.line(at, call, queue, MemberName(e.Agent), verb, "0", wholeSeconds(p.TalkMS), "1")
	}
}

// exit ends a wait that no agent answered: position, original position
// and wait, after the key for the EXITWITHKEY kinds.
func (l *queueLog) exit(at time.Time, cq callQueue, verb, key string, waitedMS int64) {
	pos, opos := l.leave(cq.call, cq.queue)
	delete(l.stays, cq)
	data := []string{strconv.Itoa(pos), strconv.Itoa(opos), wholeSeconds(waitedMS)}
	if key != "" {
		data = append([]string{key}, data...)
	}
	l.line(at, cq.call, cq.queue, qlNone, verb, data...)
}

// state writes pauses as Asterisk pauses a member in every queue at once:
// PAUSEALL, then PAUSE in each of its queues with the reason; UNPAUSEALL
// and UNPAUSE on leaving the pause. Logging out ends a pause without an
// UNPAUSE: REMOVEMEMBER follows, as in Asterisk.
func (l *queueLog) state(at time.Time, agent string, p event.AgentState) {
	const paused, loggedOut = "paused", "logged-out"
	var allVerb, verb, reason string
	switch {
	case p.To == paused:
		allVerb, verb, reason = "PAUSEALL", "PAUSE", p.Reason
		l.paused[agent] = true
	case p.From == paused && p.To != loggedOut:
		allVerb, verb = "UNPAUSEALL", "UNPAUSE"
		l.paused[agent] = false
	default:
		if p.To == loggedOut {
			l.paused[agent] = false
		}
		return
	}
	queues, known := l.member[agent]
	if known && len(queues) == 0 {
		return // in no queue: nothing to pause in; a later ADDMEMBER says PAUSED
	}
	name := MemberName(agent)
	// An agent who logged in before these events has queues the events
	// do not name: PAUSEALL alone still tells the tools it paused.
	l.line(at, qlNone, qlNone, name, allVerb)
	for _, q := range slices.Sorted(maps.Keys(queues)) {
		l.line(at, qlNone, q, name, verb, reason)
	}
}

// QueueLogSelect narrows a period's events to a filter's queues and
// agents, keeping what their queue_log lines need: with queues, the
// events of those queues, and the agent.state events (which name no
// queue) of agents seen in them; with agents, their own events and every
// event of the calls they were offered, so that a call's CONNECT keeps
// its ENTERQUEUE. server.started is always kept. Without queues or
// agents the events are returned as they are.
func QueueLogSelect(events []store.Event, f Filter) []store.Event {
	if len(f.Queues) == 0 && len(f.Agents) == 0 {
		return events
	}
	agentState := event.AgentState{}.Kind()
	inQueues := func(e store.Event) bool { return len(f.Queues) == 0 || slices.Contains(f.Queues, e.Queue) }
	agentsOfQueues := map[string]bool{}
	calls := map[string]bool{}
	for _, e := range events {
		if e.Agent != "" && e.Queue != "" && inQueues(e) {
			agentsOfQueues[e.Agent] = true
		}
		if len(f.Agents) > 0 && slices.Contains(f.Agents, e.Agent) && e.CallID != "" {
			calls[e.CallID] = true
		}
	}
	var out []store.Event
	for _, e := range events {
		keep := false
		switch {
		case e.Type == (event.ServerStarted{}).Kind():
			keep = true
		case e.Type == agentState:
			keep = (len(f.Queues) == 0 || agentsOfQueues[e.Agent]) && (len(f.Agents) == 0 || slices.Contains(f.Agents, e.Agent))
		default:
			keep = inQueues(e) && (len(f.Agents) == 0 || slices.Contains(f.Agents, e.Agent) || calls[e.CallID])
		}
		if keep {
			out = append(out, e)
		}
	}
	return out
}
