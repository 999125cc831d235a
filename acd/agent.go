package acd

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/acdserver/acd/event"
)

// State is where an agent stands.
type State int

// Agent states. Wrap-up belongs to the agent, not to a queue: an agent in
// wrap-up is offered nothing from any queue.
const (
	LoggedOut State = iota
	Ready
	Offered // ringing for a caller, with a lease of the ring timeout
	OnCall
	WrapUp
	Paused
)

func (s State) String() string {
	return [...]string{"logged-out", "ready", "offered", "on-call", "wrap-up", "paused"}[s]
}

// ParseState reads a state as String writes it.
func ParseState(s string) (State, bool) {
	for st := LoggedOut; st <= Paused; st++ {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

// allowed is the agent state machine: every move an agent can make. An
// agent on a call who logs out stays on the call, logged out of every
// queue, and is logged out when it ends; one who is rung and logs out
// stops ringing.
func allowed(from, to State) bool {
	switch from {
	case LoggedOut:
		return to == Ready || to == Paused // Paused: restored at start
	case Ready:
		return to == Offered || to == Paused || to == LoggedOut
	case Offered:
		return to == OnCall || to == Ready || to == Paused || to == LoggedOut
	case OnCall:
		return to == WrapUp || to == Ready || to == LoggedOut
	case WrapUp:
		return to == Ready || to == Paused || to == LoggedOut
	case Paused:
		return to == Ready || to == Paused || to == LoggedOut
	}
	return false
}

// NoAnswerReason is the pause reason given to an agent who missed too many
// offers in a row.
const NoAnswerReason = "No answer"

type agent struct {
	id, name string
	order    int       // place in the configuration order
	since    time.Time // when it entered its state
	callID   string    // the call of its last offer, while Offered or OnCall
	// party and callQueue are who that call is and the queue it came
	// from ("" for a direct call), shown on the agent's console.
	party     Party
	callQueue string
	callback  bool
	// connected: on a callback, the customer answered and is bridged
	// to the agent (before, the customer's phone is being dialled).
	connected bool

	assigned  map[string]bool // queues from the configuration
	queues    map[string]bool // queues logged in to
	state     State
	reason    string
	idleSince time.Time
	calls     int
	misses    int // offers missed in a row, toward max_no_answer
	// busyUntil: the phone answered busy; it is not rung before then.
	busyUntil time.Time
	// inUse counts what holds the phone besides the distributor's own
	// calls (a supervisor monitoring from it): no offer rings it then.
	inUse int
	// unreachable: the phone's last change was that it stopped answering
	// the server's OPTIONS (it is registered, but not there).
	unreachable bool
	// stopRing ends this agent's ring while it is Offered, so that one
	// who logs out stops ringing at once.
	stopRing  context.CancelFunc
	wrapQueue string
	wrapTimer *time.Timer
}

// AgentInfo is a snapshot of an agent, for views and tests.
type AgentInfo struct {
	ID, Name   string
	State      State
	Reason     string
	Since      time.Time // when the agent entered State
	CallID     string    // the call it is rung for or talking to, if any
	Queues     []string
	Registered bool
	// Unreachable: the phone is registered but stopped answering the
	// server's OPTIONS, so no call is offered to it (Registered is false).
	Unreachable bool
	Calls       int
	// Party, CallQueue and Callback describe the call while Offered or
	// OnCall: the caller (the customer, for a callback), the queue.
	Party     Party
	CallQueue string
	Callback  bool
	// Connected: on a callback, the customer answered; until then the
	// customer's phone is being dialled.
	Connected bool
	// WrapUpEnds is when wrap-up ends by itself, and EndWrapUp whether
	// the queue lets the agent end it sooner; set only in WrapUp.
	WrapUpEnds time.Time
	EndWrapUp  bool
}

// Errors of the agent API.
var (
	ErrUnknownAgent  = errors.New("no such agent")
	ErrUnknownQueue  = errors.New("no such queue")
	ErrNotAssigned   = errors.New("agent is not assigned to that queue")
	ErrLoggedOut     = errors.New("agent is logged out")
	ErrNotInWrapUp   = errors.New("agent is not in wrap-up")
	ErrEndNotAllowed = errors.New("this queue does not let agents end wrap-up early")
	ErrBadReason     = errors.New("no such pause reason")
	ErrBusy          = errors.New("agent is on a call")
	ErrNotLoggedIn   = errors.New("agent is not logged in to that queue")
)

// change says why an agent moves, for its event.
type change struct {
	cause  string
	by     event.Actor
	reason string    // the pause reason, for Paused
	ref    event.Ref // the call and queue the move concerns, if any
	// party is who the call is, on a move to Offered.
	party    Party
	callback bool
}

// move is the one place an agent's state changes; c.mu is held. It checks
// the move against the state machine and appends exactly one agent.state
// event. It reports whether the agent moved.
func (c *Center) move(a *agent, to State, ch change) bool {
	reason := ""
	if to == Paused {
		reason = ch.reason
	}
	if a.state == to && a.reason == reason {
		return false
	}
	if !allowed(a.state, to) {
		c.log.Error("agent state change refused by the state machine", "agent", a.id, "from", a.state.String(), "to", to.String(), "cause", ch.cause)
		return false
	}
	from := a.state
	if from == WrapUp {
		c.stopWrapUp(a)
	}
	if from == Ready {
		c.countReady(a, -1)
	}
	a.state, a.reason, a.since = to, reason, c.now()
	switch {
	case to == Offered:
		a.callID, a.party, a.callQueue, a.callback, a.connected = ch.ref.Call, ch.party, ch.ref.Queue, ch.callback, false
	case to == OnCall:
		a.callID = ch.ref.Call
	default:
		a.callID, a.party, a.callQueue, a.callback, a.connected = "", Party{}, "", false, false
	}
	var wrap time.Duration
	switch to {
	case Ready:
		a.idleSince = c.now()
		c.countReady(a, +1)
	case WrapUp:
		wrap = c.startWrapUp(a, ch.ref.Queue)
	}
	if from == Offered {
		a.stopRing = nil
	}
	ref := ch.ref
	ref.Agent = a.id
	c.emit(ref, event.AgentState{From: from.String(), To: to.String(), Reason: reason, Cause: ch.cause, Actor: ch.by, WrapUpMS: event.Ms(wrap)})
	if to == Paused || to == LoggedOut || from == LoggedOut {
		c.log.Info("agent "+to.String(), "agent", a.id, "from", from.String(), "cause", ch.cause, "reason", reason, "by", ch.by.String())
	}
	if to == LoggedOut {
		c.forgetIfRetired(a)
	}
	return true
}

// countReady keeps the number of ready agents per queue, which lets
// dispatch skip queues nobody can answer without looking at any agent.
func (c *Center) countReady(a *agent, d int) {
	c.ready += d
	for q := range a.queues {
		if qq := c.queues[q]; qq != nil {
			qq.ready += d
		}
	}
}

// joinQueue and leaveQueue change the queues an agent is logged in to;
// c.mu is held.
func (c *Center) joinQueue(a *agent, q string, by event.Actor) {
	if a.queues[q] {
		return
	}
	a.queues[q] = true
	qq := c.queues[q]
	i, _ := slices.BinarySearchFunc(qq.members, a.order, func(m *agent, order int) int { return m.order - order })
	qq.members = slices.Insert(qq.members, i, a)
	if a.state == Ready {
		qq.ready++
	}
	c.emit(event.Ref{Queue: q, Agent: a.id}, event.AgentLoggedIn{Actor: by, Unassigned: !a.assigned[q]})
}

func (c *Center) leaveQueue(a *agent, q string, by event.Actor) {
	if !a.queues[q] {
		return
	}
	delete(a.queues, q)
	if qq := c.queues[q]; qq != nil {
		if i := slices.Index(qq.members, a); i >= 0 {
			qq.members = slices.Delete(qq.members, i, i+1)
		}
		if a.state == Ready {
			qq.ready--
		}
	}
	c.emit(event.Ref{Queue: q, Agent: a.id}, event.AgentLoggedOut{Actor: by})
}

// Login logs the agent in to every assigned queue and makes it ready.
func (c *Center) Login(id string, by event.Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	for _, q := range sortedKeys(a.assigned) {
		c.joinQueue(a, q, by)
	}
	if a.state == LoggedOut || a.state == Paused {
		c.move(a, Ready, change{cause: "login", by: by})
	}
	c.dispatch()
	return nil
}

// LoginQueue logs the agent in to one queue. A queue not assigned to the
// agent needs allow_unassigned_login, or a supervisor (by overrides).
func (c *Center) LoginQueue(id, queue string, by event.Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	if _, ok := c.queues[queue]; !ok {
		return ErrUnknownQueue
	}
	if !a.assigned[queue] && !overrides(by) && !c.allowUnassigned {
		return ErrNotAssigned
	}
	c.joinQueue(a, queue, by)
	if a.state == LoggedOut {
		c.move(a, Ready, change{cause: "login", by: by})
	}
	c.dispatch()
	return nil
}

// overrides reports whether the actor is a supervisor or administrator:
// they may end any wrap-up early and log an agent in to any queue. The
// service has checked that they may act on this agent at all.
func overrides(by event.Actor) bool {
	return by.Kind == event.ByUser && by.Role != "" && by.Role != "agent"
}

// Logout logs the agent out of every queue. An agent being rung stops
// ringing and is logged out; one on a call is logged out when it ends.
func (c *Center) Logout(id string, by event.Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	c.logoutLocked(a, "logout", by)
	return nil
}

// logoutLocked takes an agent out of every queue: one being rung stops
// ringing and is logged out, one on a call is when it ends; c.mu is held.
func (c *Center) logoutLocked(a *agent, cause string, by event.Actor) {
	for _, q := range sortedKeys(a.queues) {
		c.leaveQueue(a, q, by)
	}
	if a.state == Offered && a.stopRing != nil {
		a.stopRing()
	}
	if a.state != OnCall {
		c.move(a, LoggedOut, change{cause: cause, by: by})
	}
}

// LogoutQueue logs the agent out of one queue; out of its last one, it is
// logged out (after its call, if on one).
func (c *Center) LogoutQueue(id, queue string, by event.Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	if !a.queues[queue] {
		return ErrNotLoggedIn
	}
	c.leaveQueue(a, queue, by)
	if len(a.queues) == 0 {
		c.logoutLocked(a, "logout", by)
	}
	return nil
}

// Pause stops offers to the agent, with a reason ("" for a plain pause).
// The reason must be one of the enabled pause reasons. In wrap-up it ends
// the wrap-up, which the queue must allow unless a supervisor acts.
func (c *Center) Pause(id, reason string, by event.Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	if a.state == LoggedOut {
		return ErrLoggedOut
	}
	if reason != "" {
		canonical, ok := c.reasons.find(reason)
		if !ok {
			return ErrBadReason
		}
		reason = canonical
	}
	if a.state == OnCall || a.state == Offered {
		return ErrBusy
	}
	if err := c.mayEndWrapUp(a, by); a.state == WrapUp && err != nil {
		return err
	}
	c.move(a, Paused, change{cause: "pause", by: by, reason: reason, ref: event.Ref{Queue: a.wrapQueueIf()}})
	return nil
}

// PauseNumber pauses with the n-th enabled reason (1-based), as *52N does.
func (c *Center) PauseNumber(id string, n int, by event.Actor) error {
	reasons := c.PauseReasons()
	if n < 1 || n > len(reasons) {
		return ErrBadReason
	}
	return c.Pause(id, reasons[n-1], by)
}

// Ready makes a paused (or wrapping-up) agent ready for calls. Ending a
// wrap-up this way follows the same rule as EndWrapUp.
func (c *Center) Ready(id string, by event.Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	switch a.state {
	case LoggedOut:
		return ErrLoggedOut
	case OnCall, Offered:
		return ErrBusy
	case WrapUp:
		if err := c.mayEndWrapUp(a, by); err != nil {
			return err
		}
	}
	a.misses = 0
	cause := "ready"
	if a.state == WrapUp {
		cause = "wrap-up-ended"
	}
	c.move(a, Ready, change{cause: cause, by: by, ref: event.Ref{Queue: a.wrapQueueIf()}})
	c.dispatch()
	return nil
}

// EndWrapUp ends the agent's wrap-up early. Agents may do so only when
// the queue allows it (end_wrap_up); supervisors always may.
func (c *Center) EndWrapUp(id string, by event.Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	if a.state != WrapUp {
		return ErrNotInWrapUp
	}
	if err := c.mayEndWrapUp(a, by); err != nil {
		return err
	}
	c.move(a, Ready, change{cause: "wrap-up-ended", by: by, ref: event.Ref{Queue: a.wrapQueue}})
	c.dispatch()
	return nil
}

// mayEndWrapUp applies the queue's end_wrap_up setting to an agent in
// wrap-up; c.mu is held.
func (c *Center) mayEndWrapUp(a *agent, by event.Actor) error {
	if a.state != WrapUp || overrides(by) {
		return nil
	}
	if q := c.queues[a.wrapQueue]; q == nil || !q.cfg.EndWrapUp {
		return ErrEndNotAllowed
	}
	return nil
}

func (a *agent) wrapQueueIf() string {
	if a.state == WrapUp {
		return a.wrapQueue
	}
	return ""
}

// Agents lists every agent.
func (c *Center) Agents() []AgentInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]AgentInfo, 0, len(c.agents))
	for _, id := range c.agentOrder {
		out = append(out, c.infoLocked(c.agents[id]))
	}
	return out
}

// Agent describes one agent.
func (c *Center) Agent(id string) (AgentInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return AgentInfo{}, ErrUnknownAgent
	}
	return c.infoLocked(a), nil
}

func (c *Center) infoLocked(a *agent) AgentInfo {
	info := AgentInfo{ID: a.id, Name: a.name, State: a.state, Reason: a.reason, Since: a.since, Calls: a.calls,
		Registered: c.phones.Registered(a.id), Queues: sortedKeys(a.queues)}
	info.Unreachable = a.unreachable && !info.Registered
	if a.state == Offered || a.state == OnCall {
		info.CallID, info.Party, info.CallQueue, info.Callback, info.Connected = a.callID, a.party, a.callQueue, a.callback, a.connected
	}
	if a.state == WrapUp {
		if q := c.queues[a.wrapQueue]; q != nil {
			info.WrapUpEnds = a.since.Add(q.cfg.WrapUp.D())
			info.EndWrapUp = q.cfg.EndWrapUp
		}
	}
	return info
}

// startWrapUp arms the wrap-up timer of an agent moving to WrapUp and
// returns its length; c.mu is held.
func (c *Center) startWrapUp(a *agent, queue string) time.Duration {
	d := c.queues[queue].cfg.WrapUp.D()
	a.wrapQueue = queue
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if a.state == WrapUp && a.wrapTimer == t {
			c.move(a, Ready, change{cause: "wrap-up-time", by: event.System(), ref: event.Ref{Queue: queue}})
			c.dispatch()
		}
	})
	a.wrapTimer = t
	return d
}

func (c *Center) stopWrapUp(a *agent) {
	if a.wrapTimer != nil {
		a.wrapTimer.Stop()
		a.wrapTimer = nil
	}
}

// afterCall moves an agent whose call from queue (or a direct call, when
// queue is "") has ended: wrap-up when the queue has one, logged out when
// the agent logged out during the call, else ready. c.mu is held.
func (c *Center) afterCall(a *agent, queue string, ref event.Ref) {
	if a.state != OnCall {
		return
	}
	ch := change{cause: "call-ended", by: event.System(), ref: ref}
	switch q := c.queues[queue]; {
	case len(a.queues) == 0:
		c.move(a, LoggedOut, ch)
	case q != nil && q.cfg.WrapUp.D() > 0:
		c.move(a, WrapUp, ch)
	default:
		c.move(a, Ready, ch)
	}
	c.dispatch()
}

// pauseReasons holds the configured reasons and which are enabled.
type pauseReasons struct {
	names   []string
	enabled map[string]bool
}

func (p *pauseReasons) find(name string) (string, bool) {
	for _, n := range p.names {
		if strings.EqualFold(n, name) && p.enabled[n] {
			return n, true
		}
	}
	return "", false
}

// PauseReasons lists the enabled reasons in order. When none is enabled,
// agents just pause or become ready.
func (c *Center) PauseReasons() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range c.reasons.names {
		if c.reasons.enabled[n] {
			out = append(out, n)
		}
	}
	return out
}

// PauseReason is one reason agents may give for a pause; a disabled one
// is kept but not offered.
type PauseReason struct {
	Name    string
	Enabled bool
}

// SetPauseReasons replaces the pause reasons, in the order *52N numbers
// them, at once for every agent: administration changes them while the
// server runs. An agent already paused keeps the reason it gave.
func (c *Center) SetPauseReasons(reasons []PauseReason) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reasons = pauseReasons{enabled: map[string]bool{}}
	for _, r := range reasons {
		c.reasons.names = append(c.reasons.names, r.Name)
		c.reasons.enabled[r.Name] = r.Enabled
	}
}
