package acd

import (
	"errors"
	"fmt"
	"strings"
	"time"
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

// NoAnswerReason is the pause reason given to an agent who missed too many
// offers in a row.
const NoAnswerReason = "No answer"

type agent struct {
	id, name    string
	assigned    map[string]bool // queues from the configuration
	queues      map[string]bool // queues logged in to
	state       State
	reason      string
	idleSince   time.Time
	calls       int
	misses      int
	wrapQueue   string
	wrapTimer   *time.Timer
	wrapStarted time.Time
}

// AgentInfo is a snapshot of an agent, for views and tests.
type AgentInfo struct {
	ID, Name   string
	State      State
	Reason     string
	Queues     []string
	Registered bool
	Calls      int
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
)

// Login logs the agent in to every assigned queue and makes it ready.
func (c *Center) Login(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	for q := range a.assigned {
		if !a.queues[q] {
			a.queues[q] = true
			c.emit("agent.logged_in", "", q, a.id, nil)
		}
	}
	if a.state == LoggedOut || a.state == Paused {
		c.setState(a, Ready, "")
	}
	c.dispatch()
	return nil
}

// LoginQueue logs the agent in to one queue. An unassigned queue needs
// allow_unassigned_login, or a supervisor (R-GEN-6).
func (c *Center) LoginQueue(id, queue string, bySupervisor bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	if _, ok := c.queues[queue]; !ok {
		return ErrUnknownQueue
	}
	if !a.assigned[queue] && !bySupervisor && !c.allowUnassigned {
		return ErrNotAssigned
	}
	if !a.queues[queue] {
		a.queues[queue] = true
		c.emit("agent.logged_in", "", queue, a.id, map[string]string{"by_supervisor": fmt.Sprint(bySupervisor)})
	}
	if a.state == LoggedOut {
		c.setState(a, Ready, "")
	}
	c.dispatch()
	return nil
}

// Logout logs the agent out of every queue.
func (c *Center) Logout(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	for q := range a.queues {
		delete(a.queues, q)
		c.emit("agent.logged_out", "", q, a.id, nil)
	}
	if a.state != OnCall && a.state != Offered {
		c.stopWrapUp(a)
		c.setState(a, LoggedOut, "")
	}
	return nil
}

// Pause stops offers to the agent, with a reason ("" for a plain pause).
// The reason must be one of the enabled pause reasons.
func (c *Center) Pause(id, reason string) error {
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
	c.stopWrapUp(a)
	c.setState(a, Paused, reason)
	return nil
}

// PauseNumber pauses with the n-th enabled reason (1-based), as *52N does.
func (c *Center) PauseNumber(id string, n int) error {
	reasons := c.PauseReasons()
	if n < 1 || n > len(reasons) {
		return ErrBadReason
	}
	return c.Pause(id, reasons[n-1])
}

// Ready makes a paused (or wrapping-up) agent ready for calls.
func (c *Center) Ready(id string) error {
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
		c.stopWrapUp(a)
	}
	a.misses = 0
	c.setState(a, Ready, "")
	c.dispatch()
	return nil
}

// EndWrapUp ends the agent's wrap-up early. Agents may do so only when
// the queue allows it (end_wrap_up); supervisors always may (R-GEN-1).
func (c *Center) EndWrapUp(id string, bySupervisor bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	if !ok {
		return ErrUnknownAgent
	}
	if a.state != WrapUp {
		return ErrNotInWrapUp
	}
	if q := c.queues[a.wrapQueue]; !bySupervisor && (q == nil || !q.cfg.EndWrapUp) {
		return ErrEndNotAllowed
	}
	c.endWrapUp(a, "ended early")
	return nil
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
	info := AgentInfo{ID: a.id, Name: a.name, State: a.state, Reason: a.reason, Calls: a.calls, Registered: c.phones.Registered(a.id)}
	for q := range a.queues {
		info.Queues = append(info.Queues, q)
	}
	sortStrings(info.Queues)
	return info
}

// setState moves an agent and records it.
func (c *Center) setState(a *agent, s State, reason string) {
	if a.state == s && a.reason == reason {
		return
	}
	a.state, a.reason = s, reason
	data := map[string]string{"state": s.String()}
	if reason != "" {
		data["reason"] = reason
	}
	switch s {
	case Ready:
		a.idleSince = c.now()
		c.emit("agent.ready", "", "", a.id, data)
	case Paused:
		c.emit("agent.paused", "", "", a.id, data)
	case LoggedOut:
		c.emit("agent.logged_out_all", "", "", a.id, data)
	}
}

func (c *Center) startWrapUp(a *agent, queue string) {
	q := c.queues[queue]
	if q == nil || q.cfg.WrapUp.D() <= 0 {
		c.setState(a, Ready, "")
		return
	}
	a.state, a.wrapQueue, a.wrapStarted = WrapUp, queue, c.now()
	c.emit("wrapup.started", "", queue, a.id, map[string]string{"seconds": fmt.Sprint(q.cfg.WrapUp.D().Seconds())})
	a.wrapTimer = time.AfterFunc(q.cfg.WrapUp.D(), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if a.state == WrapUp && a.wrapTimer != nil {
			c.endWrapUp(a, "time")
		}
	})
}

func (c *Center) stopWrapUp(a *agent) {
	if a.wrapTimer != nil {
		a.wrapTimer.Stop()
		a.wrapTimer = nil
	}
}

func (c *Center) endWrapUp(a *agent, how string) {
	c.stopWrapUp(a)
	c.emit("wrapup.ended", "", a.wrapQueue, a.id, map[string]string{"how": how})
	c.setState(a, Ready, "")
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
// agents just pause or become ready (R-GEN-3).
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

// SetPauseReasonEnabled enables or disables a reason.
func (c *Center) SetPauseReasonEnabled(name string, on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.reasons.names {
		if strings.EqualFold(n, name) {
			c.reasons.enabled[n] = on
			return nil
		}
	}
	return ErrBadReason
}
