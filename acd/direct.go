package acd

import (
	"context"
	"errors"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
)

// ErrAgentUnavailable is an agent who cannot be rung directly now: not
// ready, or its phone not reachable.
var ErrAgentUnavailable = errors.New("agent is not available")

// OfferDirect reserves one agent for a caller who asked for that agent (a
// dial plan's transfer node): a ready agent whose phone can be reached is
// Offered, for at most timeout, else ErrAgentUnavailable. No queue is
// involved, so no wrap-up follows the call. The offer's Ctx ends with
// ctx, the timeout, or the agent logging out.
func (c *Center) OfferDirect(ctx context.Context, in *Interaction, agentID string, timeout time.Duration) (*Offer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[agentID]
	if !ok {
		return nil, ErrUnknownAgent
	}
	ref := event.Ref{Call: in.ID, Interaction: in.ID}
	if a.state != Ready || !c.phones.Registered(a.id) {
		c.emit(event.Ref{Call: in.ID, Interaction: in.ID, Agent: a.id}, event.DirectUnavailable{State: a.state.String()})
		return nil, ErrAgentUnavailable
	}
	ringCtx, cancel := context.WithTimeout(ctx, timeout)
	o := &Offer{Interaction: in, Show: in.Party, RingTimeout: timeout, Ctx: ringCtx, cancel: cancel, offered: c.now(), agents: []*agent{a}, ref: ref,
		Rings: []Ring{{Agent: a.id, Ctx: ringCtx}}}
	c.move(a, Offered, change{cause: "offer", by: event.System(), ref: ref, party: in.Party})
	a.stopRing = cancel
	c.emit(event.Ref{Call: in.ID, Interaction: in.ID, Agent: a.id}, event.DirectOffered{})
	return o, nil
}

// DirectAnswered is the agent's phone answering a direct offer: the agent
// is on the call, unless it logged out as the phone answered (false: the
// flow hangs the leg up and reports DirectFailed).
func (c *Center) DirectAnswered(o *Offer, leg Leg) (bool, *Handoff) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := o.agents[0]
	if a.state != Offered {
		return false, nil
	}
	o.won = true
	o.cancel()
	c.move(a, OnCall, change{cause: "answer", by: event.System(), ref: o.ref})
	h := c.allowTransfer(leg, o.ref, a)
	c.emit(o.direct(), event.DirectAnswered{})
	c.log.Info("caller connected to agent", "call_id", o.Interaction.ID, "agent", a.id)
	return true, h
}

// DirectFailed is a direct offer that ended unanswered, for cause: the
// agent is ready again.
func (c *Center) DirectFailed(o *Offer, cause hangup.RingCause) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o.cancel()
	c.release(o.agents[0], "no-answer", o.ref)
	c.emit(o.direct(), event.DirectFailed{Cause: cause.String()})
	c.dispatch()
}

// DirectEnded is the end of a direct call, after talk.
func (c *Center) DirectEnded(o *Offer, ended event.CallEnded, talk time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.callEnded("", o.direct(), o.agents[0], ended, talk)
}

// direct places a direct offer's events, which name the agent.
func (o *Offer) direct() event.Ref {
	ref := o.ref
	ref.Agent = o.agents[0].id
	return ref
}
