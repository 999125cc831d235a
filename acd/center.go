package acd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/numbering"
	"github.com/acdserver/acd/store"
)

// Center owns queues, agents and distribution. Its mutex is the one owner
// of that state; events are appended while it is held, so the log's order
// is the order things happened.
type Center struct {
	mu              sync.Mutex
	agents          map[string]*agent
	agentOrder      []string // configuration order, for the linear strategy
	queues          map[string]*queue
	reasons         pauseReasons
	allowUnassigned bool
	phones          Phones
	sounds          Sounds
	events          EventLog
	callbacks       Callbacks
	numbers         *numbering.Plan
	log             *slog.Logger
	now             func() time.Time
	scratch         []*entry            // reused by dispatch: it runs on every join
	planNumbers     map[string]bool     // of the dial plan: transfer targets
	transfers       map[string]Transfer // by Call-ID, until the dial plan takes them
}

type queue struct {
	name    string
	cfg     *config.Queue
	waiting []*entry
	next    int // round-robin position
	window  waitWindow
}

// entry is one place in a queue's waiting list: a caller on the line, or
// a callback request (call is nil) that keeps the caller's place.
type entry struct {
	id       string // the caller's Call-ID
	number   string
	call     Caller
	callback *store.CallbackRequest
	queue    string
	joined   time.Time
	vars     map[string]string
	ringing  bool
	handoff  *handoff        // the bridged agent's transfer, once bridged
	missedBy map[string]bool // agents who missed this caller: tried last
	answered chan Leg        // receives the winning leg, once
	ctx      context.Context
	cancel   context.CancelFunc
}

// due reports whether the entry may be offered to an agent now.
func (e *entry) due(now time.Time) bool {
	return !e.ringing && e.ctx.Err() == nil && (e.callback == nil || !now.Before(e.callback.NextAttempt))
}

// NewCenter builds the distributor for a configuration. Agents start
// logged out. callbacks may be nil when no queue offers callback.
func NewCenter(cfg *config.Config, phones Phones, sounds Sounds, events EventLog, callbacks Callbacks, log *slog.Logger) *Center {
	c := &Center{
		callbacks:       callbacks,
		numbers:         cfg.Numbering.Plan(),
		agents:          map[string]*agent{},
		queues:          map[string]*queue{},
		allowUnassigned: cfg.AllowUnassignedLogin,
		phones:          phones,
		sounds:          sounds,
		events:          events,
		log:             log,
		now:             time.Now,
		reasons:         pauseReasons{enabled: map[string]bool{}},
		planNumbers:     map[string]bool{},
		transfers:       map[string]Transfer{},
	}
	for n := range cfg.Numbers {
		c.planNumbers[n] = true
	}
	for name, q := range cfg.Queues {
		c.queues[name] = &queue{name: name, cfg: q}
	}
	for id, a := range cfg.Agents {
		ag := &agent{id: id, name: a.Name, assigned: map[string]bool{}, queues: map[string]bool{}}
		for _, q := range a.Queues {
			ag.assigned[q] = true
		}
		c.agents[id] = ag
		c.agentOrder = append(c.agentOrder, id)
	}
	sort.Strings(c.agentOrder)
	for _, r := range cfg.PauseReasons {
		c.reasons.names = append(c.reasons.names, r)
		c.reasons.enabled[r] = true
	}
	return c
}

// emit appends an event; the caller holds c.mu.
func (c *Center) emit(typ, callID, queue, agent string, data map[string]string) {
	if c.events != nil {
		c.events.Append(store.Event{At: c.now(), Type: typ, CallID: callID, Queue: queue, Agent: agent, Data: data})
	}
}

// PhoneChanged is told when an agent's phone registers or goes away.
func (c *Center) PhoneChanged(agentID string, reachable bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.agents[agentID]; !ok {
		return
	}
	typ := "agent.unregistered"
	if reachable {
		typ = "agent.registered"
	}
	c.emit(typ, "", "", agentID, nil)
	c.dispatch()
}

// Wait holds the caller in queue with hold music and the periodic "please
// hold" while agents are rung, until an agent answers (the call is bridged
// and Wait returns Answered when it ends), the timeout passes, the caller
// presses *, or hangs up. # is reserved for callback.
func (c *Center) Wait(ctx context.Context, call Caller, queueName string, timeout time.Duration, vars map[string]string) (Outcome, error) {
	c.mu.Lock()
	q, ok := c.queues[queueName]
	if !ok {
		c.mu.Unlock()
		return Timeout, fmt.Errorf("queue %q: %w", queueName, ErrUnknownQueue)
	}
	e := &entry{id: call.ID(), number: call.Caller(), call: call, queue: queueName, joined: c.now(), vars: vars, answered: make(chan Leg, 1)}
	e.ctx, e.cancel = context.WithCancel(ctx)
	defer e.cancel() // leaving the queue cancels any ringing at once
	q.waiting = append(q.waiting, e)
	data := map[string]string{"caller": call.Caller()}
	for k, v := range vars {
		data["var."+k] = v
	}
	c.emit("caller.joined", call.ID(), queueName, "", data)
	c.dispatch()
	c.mu.Unlock()

	log := c.log.With("call_id", call.ID(), "queue", queueName)
	log.Info("caller joined queue", "vars", vars)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	announce := time.NewTicker(q.cfg.AnnounceEvery.D())
	defer announce.Stop()
	music := c.sounds.Get(q.cfg.HoldMusic)
	playing := call.Play(music, true)
	announcing := false
	cb := newCallbackOffer(c, q, e)
	var recheck <-chan time.Time // only callers who may be offered callback need a timer
	if cb.possible() {
		check := time.NewTicker(time.Second)
		defer check.Stop()
		recheck = check.C
		if cb.due() {
			playing, announcing = cb.play(), true
		}
	}

	leave := func(typ string, out Outcome) (Outcome, error) {
		c.mu.Lock()
		e.cancel() // under the lock: a ring that ends now sees the caller gone
		c.removeLocked(q, e)
		waited := c.now().Sub(e.joined)
		q.window.add(c.now(), waited)
		c.emit(typ, call.ID(), queueName, "", map[string]string{"waited_ms": fmt.Sprint(waited.Milliseconds())})
		c.mu.Unlock()
		return out, nil
	}
	for {
		select {
		case leg := <-e.answered:
			// Bridged: wait for either side to hang up, or the agent to
			// transfer the caller.
			select {
			case <-call.Done():
			case <-leg.Done():
				c.mu.Lock()
				moved := c.transferredLocked(call.ID(), e.handoff)
				c.mu.Unlock()
				if moved {
					return Transferred, nil
				}
			case <-ctx.Done():
			}
			return Answered, nil
		case <-ctx.Done():
			return leave("caller.abandoned", Hangup)
		case <-call.Done():
			log.Info("caller abandoned queue")
			return leave("caller.abandoned", Hangup)
		case <-deadline.C:
			log.Info("queue timeout")
			return leave("caller.timeout", Timeout)
		case <-announce.C:
			if !announcing {
				playing, announcing = call.Play(c.sounds.Get("please-hold"), false), true
			}
		case <-recheck:
			if !announcing && cb.due() {
				playing, announcing = cb.play(), true
			}
		case <-playing:
			playing, announcing = call.Play(music, true), false
		case key := <-call.Digits():
			switch {
			case key == '*':
				log.Info("caller left queue with *")
				return leave("caller.exit", Exit)
			case key == '#' && cb.offered:
				if out, ok := cb.accept(ctx); ok {
					return out, nil
				}
			}
		}
	}
}

func (c *Center) removeLocked(q *queue, e *entry) {
	for i, w := range q.waiting {
		if w == e {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			return
		}
	}
}

// dispatch offers waiting callers to free agents; the caller holds c.mu.
// Callers are taken by queue weight, then by how long they have waited
// (R-GEN-2), so the order is deterministic; each queue's strategy picks
// the agent.
func (c *Center) dispatch() {
	for {
		if !c.anyReady() {
			return // with thousands waiting and nobody free, do no work
		}
		waiting := c.scratch[:0]
		now := c.now()
		for _, q := range c.queues {
			for _, e := range q.waiting {
				if e.due(now) {
					waiting = append(waiting, e)
				}
			}
		}
		sort.SliceStable(waiting, func(i, j int) bool {
			wi, wj := c.queues[waiting[i].queue].cfg.Weight, c.queues[waiting[j].queue].cfg.Weight
			if wi != wj {
				return wi > wj
			}
			if !waiting[i].joined.Equal(waiting[j].joined) {
				return waiting[i].joined.Before(waiting[j].joined)
			}
			return waiting[i].id < waiting[j].id
		})
		c.scratch = waiting[:0]
		offered := false
		for _, e := range waiting {
			q := c.queues[e.queue]
			agents := c.pick(q, e)
			if len(agents) == 0 {
				continue
			}
			c.offer(q, e, agents)
			offered = true
			break
		}
		if !offered {
			return
		}
	}
}

// anyReady reports whether some agent is ready for an offer.
func (c *Center) anyReady() bool {
	for _, a := range c.agents {
		if a.state == Ready {
			return true
		}
	}
	return false
}

// free lists agents who may be offered a call from q now.
func (c *Center) free(q *queue) []*agent {
	var out []*agent
	for _, id := range c.agentOrder {
		a := c.agents[id]
		if a.state == Ready && a.queues[q.name] && c.phones.Registered(a.id) {
			out = append(out, a)
		}
	}
	return out
}

// pick applies the queue's strategy to its free agents. Agents who already
// missed this caller come last: the caller goes to someone else first,
// and only when everyone free has missed it is the round tried again.
func (c *Center) pick(q *queue, e *entry) []*agent {
	free := c.free(q)
	if len(free) == 0 {
		return nil
	}
	fresh := free[:0:0]
	for _, a := range free {
		if !e.missedBy[a.id] {
			fresh = append(fresh, a)
		}
	}
	if len(fresh) == 0 {
		clear(e.missedBy)
	} else {
		free = fresh
	}
	switch q.cfg.Strategy {
	case "ring-all":
		return free
	case "round-robin":
		n := len(c.agentOrder)
		for i := range n {
			id := c.agentOrder[(q.next+i)%n]
			for _, a := range free {
				if a.id == id {
					q.next = (q.next + i + 1) % n
					return []*agent{a}
				}
			}
		}
	case "fewest-calls":
		best := free[0]
		for _, a := range free[1:] {
			if a.calls < best.calls {
				best = a
			}
		}
		return []*agent{best}
	case "linear":
		return free[:1]
	case "random":
		return []*agent{free[rand.IntN(len(free))]}
	}
	// longest-idle
	best := free[0]
	for _, a := range free[1:] {
		if a.idleSince.Before(best.idleSince) {
			best = a
		}
	}
	return []*agent{best}
}

// offer rings agents for a caller; the caller holds c.mu.
func (c *Center) offer(q *queue, e *entry, agents []*agent) {
	e.ringing = true
	for _, a := range agents {
		a.state = Offered
		data := map[string]string(nil)
		if e.callback != nil {
			data = map[string]string{"callback": "true"}
		}
		c.emit("caller.offered", e.id, q.name, a.id, data)
	}
	go c.ring(q, e, agents)
}

// ring calls the agents' phones at once. The first to answer is bridged
// at once and every other leg cancelled; one that answers a moment late
// is hung up: a caller is never given to two agents.
func (c *Center) ring(q *queue, e *entry, agents []*agent) {
	ctx, cancel := context.WithTimeout(e.ctx, q.cfg.RingTimeout.D())
	defer cancel()
	results := make(chan ringResult, len(agents))
	show := Party{Number: e.number}
	if e.callback != nil {
		show.Name = "Callback"
	} else if named, ok := e.call.(interface{ CallerName() string }); ok {
		show.Name = named.CallerName()
	}
	for _, a := range agents {
		go func(a *agent) {
			leg, err := c.phones.Ring(ctx, a.id, show)
			results <- ringResult{a, leg, err}
		}(a)
	}
	won := false
	for range agents {
		r := <-results
		c.mu.Lock()
		switch {
		case r.err == nil && !won && e.ctx.Err() == nil:
			won = true
			cancel() // stop ringing everyone else now
			c.connect(q, e, r.agent, r.leg)
		case r.err == nil:
			r.leg.Hangup("the call was taken by another agent, or the caller left")
			c.release(r.agent)
		case !won && e.ctx.Err() == nil && !errors.Is(r.err, context.Canceled):
			c.release(r.agent) // no answer, busy, rejected or unreachable
			if e.missedBy == nil {
				e.missedBy = map[string]bool{}
			}
			e.missedBy[r.agent.id] = true
			r.agent.misses++
			c.emit("agent.missed", e.id, q.name, r.agent.id, map[string]string{"misses": fmt.Sprint(r.agent.misses), "error": r.err.Error()})
			if q.cfg.MaxNoAnswer > 0 && r.agent.misses >= q.cfg.MaxNoAnswer {
				c.setState(r.agent, Paused, NoAnswerReason)
			}
		default:
			c.release(r.agent)
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !won {
		e.ringing = false
	}
	c.dispatch()
}

type ringResult struct {
	agent *agent
	leg   Leg
	err   error
}

// release returns an agent whose offer ended without a call to ready.
func (c *Center) release(a *agent) {
	if a.state == Offered {
		c.setStateQuiet(a, Ready)
	}
}

// connect bridges the caller to the agent who answered; c.mu is held.
func (c *Center) connect(q *queue, e *entry, a *agent, leg Leg) {
	a.misses = 0
	a.state = OnCall
	if e.callback != nil {
		c.emit("callback.agent_answered", e.id, q.name, a.id, map[string]string{"number": e.number})
		e.ringing = true // until the customer's call is over
		go c.serveCallback(q, e, a, leg)
		return
	}
	c.removeLocked(q, e)
	waited := c.now().Sub(e.joined)
	q.window.add(c.now(), waited)
	c.emit("agent.answered", e.id, q.name, a.id, map[string]string{"waited_ms": fmt.Sprint(waited.Milliseconds())})
	c.phones.Bridge(e.call, leg, c.sounds.Get(q.cfg.HoldMusic))
	e.handoff = c.allowTransfer(leg, e.id, q.name, a)
	e.answered <- leg
	go c.onCall(q, e, a, leg)
}

// setStateQuiet returns an offered agent to ready without an event: the
// offer's outcome is already recorded.
func (c *Center) setStateQuiet(a *agent, s State) {
	a.state = s
	if s == Ready {
		a.idleSince = c.now()
	}
}

// onCall waits for the bridged call to end, then starts wrap-up.
func (c *Center) onCall(q *queue, e *entry, a *agent, leg Leg) {
	ended := endedBy(e.call.Done(), leg)
	if ended["ended_by"] == "caller" {
		// Not otherwise: a leg ending by itself may still be waiting on
		// its BYE to a dead phone, and Hangup would wait with it.
		leg.Hangup("the caller hung up")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.callEnded(q, e, a, ended)
}

// endedBy waits for a caller (done) or an agent's leg to end and says
// which did, and why when it was the agent's side, for call.ended.
func endedBy(done <-chan struct{}, leg Leg) map[string]string {
	select {
	case <-done:
		return map[string]string{"ended_by": "caller"}
	case <-leg.Done():
		return map[string]string{"ended_by": "agent", "reason": leg.EndReason()}
	}
}

// callEnded records the end of an agent's call and starts wrap-up.
func (c *Center) callEnded(q *queue, e *entry, a *agent, data map[string]string) {
	a.calls++
	c.emit("call.ended", e.id, q.name, a.id, data)
	if data["ended_by"] == "agent" && data["reason"] != "" {
		c.log.Info("agent's side ended the call", "call_id", e.id, "queue", q.name, "agent", a.id, "reason", data["reason"])
	}
	if a.state != OnCall {
		return
	}
	if len(a.queues) == 0 {
		c.setState(a, LoggedOut, "")
		return
	}
	c.startWrapUp(a, q.name)
	c.dispatch()
}

// Waiting lists the callers waiting in a queue, longest first.
func (c *Center) Waiting(queueName string) ([]WaitingCaller, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, ok := c.queues[queueName]
	if !ok {
		return nil, ErrUnknownQueue
	}
	out := make([]WaitingCaller, 0, len(q.waiting))
	for _, e := range q.waiting {
		out = append(out, WaitingCaller{CallID: e.id, Caller: e.number, Joined: e.joined, Ringing: e.ringing, Callback: e.callback != nil})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Joined.Before(out[j].Joined) })
	return out, nil
}

// WaitingCaller is one entry of a queue's waiting list; Callback tags a
// callback request keeping the caller's place (R-CB-7).
type WaitingCaller struct {
	CallID, Caller string
	Joined         time.Time
	Ringing        bool
	Callback       bool
}

func sortStrings(s []string) { sort.Strings(s) }
