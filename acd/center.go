package acd

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/numbering"
	"github.com/acdserver/acd/store"
)

// Center owns queues, agents and distribution. Its mutex is the one owner
// of that state; events are appended while it is held, so the log's order
// is the order things happened.
type Center struct {
	mu         sync.Mutex
	agents     map[string]*agent
	agentOrder []string // configuration order, for the linear strategy
	queues     map[string]*queue
	queueOrder []*queue // by weight, highest first, then name: dispatch's order
	// retired are queues and agents the configuration no longer has,
	// kept until their last caller leaves or their last call ends.
	retiredQueues   map[string]bool
	retiredAgents   map[string]bool
	ready           int // agents in Ready, for dispatch to do nothing when none is
	reasons         pauseReasons
	allowUnassigned bool
	phones          Phones
	sounds          Sounds
	events          EventLog
	callbacks       Callbacks
	numbers         *numbering.Plan
	log             *slog.Logger
	now             func() time.Time
	planNumbers     *config.NumberRoutes // of the dial plan: transfer targets
	// busyBackoff is how long an agent whose phone answered busy is not
	// rung, for any caller: see DefaultBusyBackoff.
	busyBackoff time.Duration
	// work counts the distributor's goroutines (rings, calls, callbacks),
	// so that Close waits for them; Add is called with mu held, and never
	// once closed is set.
	work   sync.WaitGroup
	closed bool
}

// spawn runs f on a goroutine the Center owns; c.mu is held.
func (c *Center) spawn(f func()) {
	c.work.Add(1)
	go func() {
		defer c.work.Done()
		f()
	}()
}

// Close stops the distributor at shutdown, once the SIP side has hung up
// every call: timers are stopped, callback requests are let go (they stay
// stored), and it waits, up to ctx, for its goroutines to finish, so that
// nothing is appended to the event log after it closes.
func (c *Center) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	for _, a := range c.agents {
		c.stopWrapUp(a)
		if a.stopRing != nil {
			a.stopRing()
		}
	}
	for _, q := range c.queues {
		for _, e := range q.waiting {
			e.cancel()
		}
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.work.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("distributor: calls still winding down at shutdown: %w", ctx.Err())
	}
}

type queue struct {
	name    string
	cfg     *config.Queue
	waiting []*entry // by the time callers joined, then Call-ID
	next    int      // round-robin position
	ready   int      // agents logged in to it and in Ready
	members []*agent // agents logged in to it, in configuration order
	window  waitWindow
}

// entry is one place in a queue's waiting list: a caller on the line, or
// a callback request (call is nil) that keeps the caller's place.
type entry struct {
	id     string // the caller's Call-ID, or "callback-N"
	number string
	// interaction is the inbound call this entry belongs to: its own
	// Call-ID, or for a callback the call that asked for it.
	interaction string
	call        Caller
	callback    *store.CallbackRequest
	queue       string
	joined      time.Time
	vars        map[string]string
	ringing     bool
	handoff     *handoff // the bridged agent's transfer, once bridged
	// missedBy holds the agents who missed this caller, who are tried
	// last, each with the time before which it is not offered to them
	// again (zero when it may be at once).
	missedBy map[string]time.Time
	answered chan Leg // receives the winning leg, once
	// talked closes once the bridged call's talk time is counted in
	// talk, so that the caller's own end, recorded as soon as Wait
	// returns, includes it whichever side hung up.
	talked chan struct{}
	talk   time.Duration // written before talked closes, read after
	// taken is set, under c.mu, when an agent's answer wins the caller;
	// the caller's leaving (timeout, *, hang-up) is decided under the same
	// lock and cancels ctx, so exactly one of the two happens.
	taken  bool
	ctx    context.Context
	cancel context.CancelFunc
}

// ref places the entry's events, for agent (or none).
func (e *entry) ref(agent string) event.Ref {
	return event.Ref{Call: e.id, Interaction: e.interaction, Queue: e.queue, Agent: agent}
}

// party is who the agent's phone shows for this caller: the customer's
// number, named "Callback" for a callback request.
func (e *entry) party() Party {
	show := Party{Number: e.number}
	if e.callback != nil {
		show.Name = "Callback"
	} else if named, ok := e.call.(interface{ CallerName() string }); ok {
		show.Name = named.CallerName()
	}
	return show
}

// due reports whether the entry may be offered to an agent now.
func (e *entry) due(now time.Time) bool {
	return !e.ringing && e.ctx.Err() == nil && (e.callback == nil || !now.Before(e.callback.NextAttempt))
}

// NewCenter builds the distributor for a configuration. Agents start
// logged out. callbacks may be nil when no queue offers callback.
func NewCenter(cfg *config.Config, phones Phones, sounds Sounds, events EventLog, callbacks Callbacks, log *slog.Logger) *Center {
	c := &Center{
		callbacks:     callbacks,
		numbers:       cfg.Numbering.Plan(),
		agents:        map[string]*agent{},
		queues:        map[string]*queue{},
		phones:        phones,
		sounds:        sounds,
		events:        events,
		log:           log,
		now:           time.Now,
		reasons:       pauseReasons{enabled: map[string]bool{}},
		planNumbers:   config.NewNumberRoutes(nil),
		retiredQueues: map[string]bool{},
		retiredAgents: map[string]bool{},
		busyBackoff:   DefaultBusyBackoff,
	}
	c.applyLocked(cfg, false)
	for _, r := range cfg.PauseReasons {
		c.reasons.names = append(c.reasons.names, r)
		c.reasons.enabled[r] = true
	}
	return c
}

// emit appends an event; the caller holds c.mu, so that the log's order
// is the order things happened.
func (c *Center) emit(ref event.Ref, p event.Payload) {
	if c.events != nil {
		c.events.Append(event.New(c.now(), ref, p))
	}
}

// PhoneChanged is told when an agent's phone becomes reachable (it
// registered, or answers the server's OPTIONS again) or not (its
// registration ran out or was removed, or it stopped answering), and why:
// the SIP side's cause, which the event carries.
func (c *Center) PhoneChanged(agentID string, reachable bool, cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[agentID]
	if !ok {
		return
	}
	a.unreachable = !reachable && cause == PhoneNoResponse
	var p event.Payload = event.PhoneUnregistered{Cause: cause}
	if reachable {
		p = event.PhoneRegistered{Cause: cause}
	}
	c.emit(event.Ref{Agent: agentID}, p)
	c.dispatch()
}

// PhoneNoResponse is the cause of a phone that is registered but does
// not answer OPTIONS.
const PhoneNoResponse = "no-response"

// Wait holds the caller in queue with hold music and the periodic "please
// hold" while agents are rung, until an agent answers (the call is bridged
// and Wait returns Answered, with the talk time, when it ends), the
// timeout passes, the caller presses *, or hangs up. # is reserved for
// callback.
func (c *Center) Wait(ctx context.Context, call Caller, queueName string, timeout time.Duration, vars map[string]string) (Result, error) {
	c.mu.Lock()
	q, ok := c.queues[queueName]
	if !ok {
		c.mu.Unlock()
		return Result{Outcome: Timeout}, fmt.Errorf("queue %q: %w", queueName, ErrUnknownQueue)
	}
	e := &entry{id: call.ID(), interaction: call.ID(), number: call.Caller(), call: call, queue: queueName, joined: c.now(), vars: vars, answered: make(chan Leg, 1), talked: make(chan struct{})}
	e.ctx, e.cancel = context.WithCancel(ctx)
	defer e.cancel() // leaving the queue cancels any ringing at once
	q.insert(e)
	masked := event.MaskAll(vars)
	c.emit(e.ref(""), event.CallerJoined{Caller: call.Caller(), Vars: masked})
	c.dispatch()
	c.mu.Unlock()

	log := c.log.With("call_id", call.ID(), "queue", queueName)
	log.Info("caller joined queue", "vars", masked)
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

	// leave takes the caller out of the queue, unless an agent's answer
	// won it first: then the caller is the agent's and the wait goes on
	// to the bridge (the leg is already in e.answered).
	leave := func(out Outcome, payload func(waitedMS int64) event.Payload, why string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if e.taken {
			return false
		}
		e.cancel() // under the lock: a ring that ends now sees the caller gone
		c.removeLocked(q, e)
		waited := c.now().Sub(e.joined)
		q.window.add(c.now(), waited)
		c.emit(e.ref(""), payload(event.Ms(waited)))
		log.Info(why, "waited_ms", event.Ms(waited), "outcome", out.String())
		return true
	}
	for {
		select {
		case leg := <-e.answered:
			return c.bridged(ctx, call, e, leg), nil
		case <-ctx.Done():
			// The server is stopping: the caller did not give up.
			if leave(Hangup, func(ms int64) event.Payload { return event.CallerStopped{WaitedMS: ms} }, "caller still waiting at shutdown") {
				return Result{Outcome: Hangup}, nil
			}
			return c.bridged(ctx, call, e, <-e.answered), nil
		case <-call.Done():
			if leave(Hangup, func(ms int64) event.Payload { return event.CallerAbandoned{WaitedMS: ms} }, "caller abandoned queue") {
				return Result{Outcome: Hangup}, nil
			}
			return c.bridged(ctx, call, e, <-e.answered), nil
		case <-deadline.C:
			if leave(Timeout, func(ms int64) event.Payload { return event.CallerTimedOut{WaitedMS: ms} }, "queue timeout") {
				return Result{Outcome: Timeout}, nil
			}
			return c.bridged(ctx, call, e, <-e.answered), nil
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
				if leave(Exit, func(ms int64) event.Payload { return event.CallerExited{WaitedMS: ms} }, "caller left queue with *") {
					return Result{Outcome: Exit}, nil
				}
				return c.bridged(ctx, call, e, <-e.answered), nil
			case key == '#' && cb.offered:
				if out, ok := cb.accept(ctx); ok {
					return Result{Outcome: out}, nil
				}
			}
		}
	}
}

// bridged waits, for a caller an agent answered, until either side hangs
// up or the agent transfers the caller, and until the call's talk time is
// counted. At shutdown the SIP side hangs up every call, which ends the
// wait for the talk time too.
func (c *Center) bridged(ctx context.Context, call Caller, e *entry, leg Leg) Result {
	select {
	case <-call.Done():
	case <-leg.Done():
		<-e.talked
		c.mu.Lock()
		t := e.handoff.transfer
		c.mu.Unlock()
		if t != nil {
			return Result{Outcome: Transferred, Talk: e.talk, Transfer: *t}
		}
	case <-ctx.Done():
	}
	<-e.talked
	return Result{Outcome: Answered, Talk: e.talk}
}

// insert puts an entry in the waiting list at its place by join time: at
// the end for a caller who just joined, earlier for a callback request
// that keeps an older caller's place.
func (q *queue) insert(e *entry) {
	i := sort.Search(len(q.waiting), func(i int) bool { return e.before(q.waiting[i]) })
	q.waiting = slices.Insert(q.waiting, i, e)
}

// before orders entries within a queue: who joined first, then by id so
// that the order is the same every time.
func (e *entry) before(o *entry) bool {
	if !e.joined.Equal(o.joined) {
		return e.joined.Before(o.joined)
	}
	return e.id < o.id
}

func (c *Center) removeLocked(q *queue, e *entry) {
	if i := slices.Index(q.waiting, e); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
	if c.retiredQueues[q.name] {
		c.dropQueue(q)
	}
}

// head is the queue's first entry that may be offered now, but for
// those in skip.
func (q *queue) head(now time.Time, skip map[*entry]bool) *entry {
	for _, e := range q.waiting {
		if e.due(now) && !skip[e] {
			return e
		}
	}
	return nil
}

// dispatch offers waiting callers to free agents; the caller holds c.mu.
// Callers are taken by queue weight, then by how long they have waited,
// so the order is deterministic; each queue's strategy picks the agent.
// It runs on every change, so it looks only at queues that have a ready
// agent, and at the first offerable caller of each: its cost does not
// grow with the number of callers waiting.
func (c *Center) dispatch() {
	var stuck map[*queue]bool // ready agents, but none can be rung now
	// skip: callers whose every free agent is in back-off from them (they
	// just refused them); the callers behind them may go to those agents.
	var skip map[*entry]bool
	for c.ready > 0 && !c.closed {
		now := c.now()
		var best *entry
		var bq *queue
		for _, q := range c.queueOrder {
			if q.ready == 0 || stuck[q] {
				continue
			}
			if bq != nil && q.cfg.Weight < bq.cfg.Weight {
				break // queueOrder is by weight: no later queue can win
			}
			if e := q.head(now, skip); e != nil && (best == nil || e.before(best)) {
				best, bq = e, q
			}
		}
		if best == nil {
			return
		}
		free := c.free(bq, now)
		if len(free) == 0 {
			if stuck == nil {
				stuck = map[*queue]bool{}
			}
			stuck[bq] = true
			continue
		}
		agents := c.pick(bq, best, free, now)
		if len(agents) == 0 {
			if skip == nil {
				skip = map[*entry]bool{}
			}
			skip[best] = true
			continue
		}
		c.offer(bq, best, agents)
	}
}

// free lists agents who may be offered a call from q now.
func (c *Center) free(q *queue, now time.Time) []*agent {
	if q.ready == 0 {
		return nil
	}
	var out []*agent
	for _, a := range q.members {
		if c.offerable(a, now) {
			out = append(out, a)
		}
	}
	return out
}

// offerable reports whether the agent may be rung now: ready, with a
// phone that can be reached and did not just answer busy.
func (c *Center) offerable(a *agent, now time.Time) bool {
	return a.state == Ready && !now.Before(a.busyUntil) && c.phones.Registered(a.id)
}

// anyFree reports whether some agent could be offered a call from q now.
func (c *Center) anyFree(q *queue) bool {
	if q.ready == 0 {
		return false
	}
	now := c.now()
	for _, a := range q.members {
		if c.offerable(a, now) {
			return true
		}
	}
	return false
}

// pick applies the queue's strategy to the queue's free agents who may be
// offered this caller now: not those who refused it within its back-off.
// Agents who already missed it come last: the caller goes to someone else
// first, and only when everyone free has missed it is the round tried
// again.
func (c *Center) pick(q *queue, e *entry, free []*agent, now time.Time) []*agent {
	var fresh, again []*agent
	for _, a := range free {
		switch until, missed := e.missedBy[a.id]; {
		case !missed:
			fresh = append(fresh, a)
		case !now.Before(until):
			again = append(again, a)
		}
	}
	if len(fresh) == 0 {
		for _, a := range again {
			delete(e.missedBy, a.id)
		}
		fresh = again
	}
	free = fresh
	if len(free) == 0 {
		return nil
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
	offeredAt := c.now()
	ctx, cancel := context.WithTimeout(e.ctx, q.cfg.RingTimeout.D())
	rings := make([]ring, len(agents))
	show := e.party()
	for i, a := range agents {
		actx, stop := context.WithCancel(ctx)
		rings[i] = ring{agent: a, ctx: actx}
		c.move(a, Offered, change{cause: "offer", by: event.System(), ref: e.ref(""), party: show, callback: e.callback != nil})
		a.stopRing = stop
		c.emit(e.ref(a.id), event.CallerOffered{Callback: e.callback != nil})
	}
	c.spawn(func() { c.ring(q, e, rings, cancel, offeredAt) })
}

// ring is one agent's phone being rung for a caller; ctx ends when the
// ring must stop: the ring timeout, the caller gone, another agent
// answered, or this agent logged out.
type ring struct {
	agent *agent
	ctx   context.Context
}

// ring calls the agents' phones at once. The first to answer is bridged
// at once and every other leg cancelled; one that answers a moment late
// is hung up: a caller is never given to two agents.
func (c *Center) ring(q *queue, e *entry, rings []ring, cancel context.CancelFunc, offeredAt time.Time) {
	defer cancel()
	results := make(chan ringResult, len(rings))
	show := e.party()
	for _, r := range rings {
		go func(r ring) {
			leg, err := c.phones.Ring(r.ctx, r.agent.id, show)
			results <- ringResult{r.agent, leg, err}
		}(r)
	}
	won := false
	for range rings {
		r := <-results
		c.mu.Lock()
		a := r.agent
		offered := a.state == Offered // else it logged out while ringing
		switch {
		case r.err == nil && !won && offered && e.ctx.Err() == nil:
			won = true
			cancel() // stop ringing everyone else now
			c.connect(q, e, a, r.leg)
		case r.err == nil:
			r.leg.Hangup(hangup.TakenElsewhere)
			c.release(a, "offer-ended", e.ref(""))
		case !won && offered && e.ctx.Err() == nil:
			// No answer within the ring timeout, busy, rejected or
			// unreachable. Not a ring stopped because another agent
			// answered (won), the caller left (e.ctx) or this agent
			// logged out (no longer offered).
			c.missed(q, e, a, ringCause(r.err), offeredAt)
		default:
			c.release(a, "offer-ended", e.ref(""))
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

// missed records an agent's phone not taking an offer made at offered,
// and backs off from it; c.mu is held. A busy phone is not a miss: the
// agent is not rung again, for any caller, for busyBackoff. Any other
// miss counts toward max_no_answer, and the caller is not offered to
// that agent again before the ring timeout has run from the offer: the
// phone is rung for one caller no more often than if it had let every
// ring run out, whether it declines at once or not, and other agents
// (and, meanwhile, other callers for this agent) come first.
func (c *Center) missed(q *queue, e *entry, a *agent, cause RingCause, offered time.Time) {
	now := c.now()
	if e.missedBy == nil {
		e.missedBy = map[string]time.Time{}
	}
	var until time.Time
	if cause.countsAsMiss() {
		a.misses++
		until = offered.Add(q.cfg.RingTimeout.D())
		e.missedBy[a.id] = until
	} else {
		until = now.Add(c.busyBackoff)
		a.busyUntil = until
		e.missedBy[a.id] = time.Time{}
	}
	c.emit(e.ref(a.id), event.AgentMissed{Misses: a.misses, Cause: string(cause)})
	c.log.Info("agent missed the call", "call_id", e.id, "queue", q.name, "agent", a.id, "cause", cause, "misses", a.misses)
	if cause.countsAsMiss() && q.cfg.MaxNoAnswer > 0 && a.misses >= q.cfg.MaxNoAnswer {
		c.move(a, Paused, change{cause: "max-no-answer", by: event.System(), reason: NoAnswerReason, ref: e.ref("")})
	} else {
		c.release(a, "no-answer", e.ref(""))
	}
	if wait := until.Sub(now); wait > 0 {
		c.dispatchAfter(wait)
	}
}

// DefaultBusyBackoff is how long an agent whose phone answered busy is
// not rung. A CANCEL that an INVITE overtook settles within a round trip,
// or after its retransmissions at 0.5 and 1.5 s on a lossy path; a phone
// busy on a call of its own is asked again every 2 s without its agent
// being paused.
const DefaultBusyBackoff = 2 * time.Second

// dispatchAfter offers callers again once a back-off ends; c.mu is held.
// After Close, dispatch does nothing.
func (c *Center) dispatchAfter(d time.Duration) {
	time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.dispatch()
	})
}

type ringResult struct {
	agent *agent
	leg   Leg
	err   error
}

// release returns an agent whose offer ended without a call to ready.
func (c *Center) release(a *agent, cause string, ref event.Ref) {
	if a.state == Offered {
		c.move(a, Ready, change{cause: cause, by: event.System(), ref: ref})
	}
}

// connect bridges the caller to the agent who answered; c.mu is held.
func (c *Center) connect(q *queue, e *entry, a *agent, leg Leg) {
	a.misses = 0
	c.move(a, OnCall, change{cause: "answer", by: event.System(), ref: e.ref("")})
	if e.callback != nil {
		c.emit(e.ref(a.id), event.CallbackAgentAnswered{Request: e.callback.ID, Number: e.number})
		e.ringing = true // until the customer's call is over
		c.spawn(func() { c.serveCallback(q, e, a, leg) })
		return
	}
	e.taken = true
	c.removeLocked(q, e)
	waited := c.now().Sub(e.joined)
	q.window.add(c.now(), waited)
	c.emit(e.ref(a.id), event.AgentAnswered{WaitedMS: event.Ms(waited)})
	c.log.Info("caller connected to agent", "call_id", e.id, "queue", q.name, "agent", a.id, "waited_ms", event.Ms(waited))
	if err := c.phones.Bridge(e.call, leg, c.sounds.Get(q.cfg.HoldMusic)); err != nil {
		c.unbridged(leg, e.ref(a.id), err)
	}
	e.handoff = c.allowTransfer(leg, e.ref(""), a)
	e.answered <- leg
	since := c.now()
	c.spawn(func() { c.onCall(q, e, a, leg, since) })
}

// unbridged ends a leg the phones could not bridge, which would leave
// both sides in silence: the call then ends as any other does; c.mu is
// held, so the BYE goes from a goroutine of its own.
func (c *Center) unbridged(leg Leg, ref event.Ref, err error) {
	c.log.Error("bridging the call failed; hanging up the leg", "call_id", ref.Call, "queue", ref.Queue, "agent", ref.Agent, "error", err)
	c.spawn(func() { leg.Hangup(hangup.BridgeFailed) })
}

// onCall waits for the bridged call to end, then starts wrap-up.
func (c *Center) onCall(q *queue, e *entry, a *agent, leg Leg, since time.Time) {
	ended := endedBy(e.call.Done(), leg)
	// Counted before the agent's leg is hung up, which may take a dead
	// phone's 32 s: the caller's record must not wait for it.
	c.mu.Lock()
	talk := c.now().Sub(since)
	c.mu.Unlock()
	e.talk = talk
	close(e.talked)
	if ended.EndedBy == "caller" {
		// Not otherwise: a leg ending by itself may still be waiting on
		// its BYE to a dead phone, and Hangup would wait with it.
		leg.Hangup(hangup.CallerLeft)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.callEnded(q.name, e.ref(a.id), a, ended, talk)
}

// endedBy waits for a caller (done) or an agent's leg to end and says
// which did, and why when it was the agent's side.
func endedBy(done <-chan struct{}, leg Leg) event.CallEnded {
	select {
	case <-done:
		return event.CallEnded{EndedBy: "caller"}
	case <-leg.Done():
		return event.CallEnded{EndedBy: "agent", Reason: leg.EndCause().String()}
	}
}

// callEnded records the end of an agent's call from queue ("" for a
// direct call), which lasted talk, and moves the agent on; c.mu is held.
func (c *Center) callEnded(queue string, ref event.Ref, a *agent, ended event.CallEnded, talk time.Duration) {
	a.calls++
	ended.TalkMS = event.Ms(talk)
	c.emit(ref, ended)
	c.log.Info("call with agent ended", "call_id", ref.Call, "queue", queue, "agent", a.id, "ended_by", ended.EndedBy, "reason", ended.Reason, "talk_ms", ended.TalkMS)
	c.afterCall(a, queue, event.Ref{Call: ref.Call, Interaction: ref.Interaction, Queue: queue})
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
	return out, nil
}

// WaitingCaller is one entry of a queue's waiting list; Callback tags a
// callback request keeping the caller's place.
type WaitingCaller struct {
	CallID, Caller string
	Joined         time.Time
	Ringing        bool
	Callback       bool
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
