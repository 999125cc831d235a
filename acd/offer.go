package acd

import (
	"context"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/store"
)

// Offerer carries out the core's offers: package flow rings the agents'
// phones. Offer is called with the core's lock held, so it must not
// block nor call back into the Center: it starts a goroutine of its own,
// which reports what happened through the Center's facts (Answer, Miss,
// Release, RingsOver, …).
type Offerer interface {
	Offer(o *Offer)
}

// Offer is the core's decision to ring some agents for an interaction.
// Its exported fields are set once and read by the flows; the rest is
// the core's, guarded by Center.mu.
type Offer struct {
	Interaction *Interaction
	Rings       []Ring
	Show        Party // who the agents' phones show as calling
	RingTimeout time.Duration
	Hold        string // the queue's hold music, for the bridge
	// Ctx ends when every ring must stop: the ring timeout, the caller
	// gone, or an agent answered.
	Ctx context.Context

	e       *entry // nil for a direct call
	q       *queue // nil for a direct call
	cancel  context.CancelFunc
	offered time.Time
	agents  []*agent // as Rings
	ref     event.Ref
	// won: an agent's answer won the interaction.
	won bool
	// attempt is the callback request as this offer's attempt has it.
	attempt store.CallbackRequest
}

// Ring is one agent's phone to ring; Ctx ends when its ring must stop:
// the offer's end, or the agent logged out.
type Ring struct {
	Agent string
	Ctx   context.Context
}

// agent is the offered agent with that id, or nil.
func (o *Offer) agent(id string) *agent {
	for _, a := range o.agents {
		if a.id == id {
			return a
		}
	}
	return nil
}

// Answer is an agent's phone answering the offer, with its leg. The first
// answer wins the interaction, unless the caller left first (Leave, a
// callback request, the server stopping): both are decided under c.mu,
// so exactly one happens. The winner is on the call, every other ring is
// stopped, and the leg's transfers are decided by the core from now on
// (the handoff says where the agent sent the caller). A loser's leg is
// the flow's to hang up, before it calls Release.
func (c *Center) Answer(o *Offer, agentID string, leg Leg) (won bool, h *Handoff) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := o.agent(agentID)
	e, q := o.e, o.q
	// An agent no longer Offered logged out while ringing.
	if o.won || a == nil || a.state != Offered || e.ctx.Err() != nil {
		return false, nil
	}
	o.won = true
	o.cancel() // stop ringing everyone else now
	a.misses = 0
	c.move(a, OnCall, change{cause: "answer", by: event.System(), ref: o.ref})
	if e.in.Kind == Callback {
		c.emit(e.ref(a.id), event.CallbackAgentAnswered{Request: e.req.ID, Number: e.in.Party.Number})
		q.setRinging(e, true) // until the customer's call is over
		return true, nil
	}
	e.taken = true
	c.removeLocked(q, e)
	// Before the event: whoever sees the answer may see the leg's
	// transfers decided.
	h = c.allowTransfer(leg, o.ref, a)
	waited := c.now().Sub(e.joined)
	q.window.add(c.now(), waited)
	c.emit(e.ref(a.id), event.AgentAnswered{WaitedMS: event.Ms(waited)})
	c.log.Info("caller connected to agent", "call_id", e.id, "queue", q.name, "agent", a.id, "waited_ms", event.Ms(waited))
	return true, h
}

// Miss is an agent's phone not answering the offer, for cause. It counts
// against the agent only when the ring was not stopped by the core: not
// when another agent answered, the caller left, or the agent logged out.
func (c *Center) Miss(o *Offer, agentID string, cause hangup.RingCause) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := o.agent(agentID)
	if a == nil {
		return
	}
	if !o.won && a.state == Offered && o.e.ctx.Err() == nil {
		// No answer within the ring timeout, busy, rejected or
		// unreachable.
		c.missed(o.q, o.e, a, cause, o.offered)
		return
	}
	c.release(a, "offer-ended", o.ref)
}

// Release is an agent's phone that answered too late, hung up by the
// flow: the agent is ready again.
func (c *Center) Release(o *Offer, agentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := o.agent(agentID); a != nil {
		c.release(a, "offer-ended", o.ref)
	}
}

// RingsOver is every ring of the offer having ended: an interaction
// nobody won may be offered again.
func (c *Center) RingsOver(o *Offer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o.cancel()
	if !o.won {
		o.q.setRinging(o.e, false)
	}
	c.dispatch()
}

// CallEnded is the end of the call an agent answered for a voice offer,
// after talk: the agent goes to wrap-up, or on.
func (c *Center) CallEnded(o *Offer, agentID string, ended event.CallEnded, talk time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := o.agent(agentID); a != nil {
		c.callEnded(o.q.name, o.e.ref(a.id), a, ended, talk)
	}
}

// missed records an agent's phone not taking an offer made at offered,
// and backs off from it; c.mu is held. A busy phone is not a miss: the
// agent is not rung again, for any caller, for busyBackoff. Any other
// miss counts toward max_no_answer, and the caller is not offered to
// that agent again before the ring timeout has run from the offer: the
// phone is rung for one caller no more often than if it had let every
// ring run out, whether it declines at once or not, and other agents
// (and, meanwhile, other callers for this agent) come first.
func (c *Center) missed(q *queue, e *entry, a *agent, cause hangup.RingCause, offered time.Time) {
	now := c.now()
	if e.missedBy == nil {
		e.missedBy = map[string]time.Time{}
	}
	var until time.Time
	if countsAsMiss(cause) {
		a.misses++
		until = offered.Add(q.cfg.RingTimeout.D())
		e.missedBy[a.id] = until
	} else {
		until = now.Add(c.busyBackoff)
		a.busyUntil = until
		e.missedBy[a.id] = time.Time{}
	}
	c.emit(e.ref(a.id), event.AgentMissed{Misses: a.misses, Cause: cause.String()})
	c.log.Info("agent missed the call", "call_id", e.id, "queue", q.name, "agent", a.id, "cause", cause.String(), "misses", a.misses)
	if countsAsMiss(cause) && q.cfg.MaxNoAnswer > 0 && a.misses >= q.cfg.MaxNoAnswer {
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

// release returns an agent whose offer ended without a call to ready.
func (c *Center) release(a *agent, cause string, ref event.Ref) {
	if a.state == Offered {
		c.move(a, Ready, change{cause: cause, by: event.System(), ref: ref})
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
