package acd

import (
	"context"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
)

// RingAgent rings one agent directly for a caller (a dial plan's transfer
// node) and bridges them on answer; the caller hears hold music while it
// rings. An agent who is not ready, or not reachable, or does not answer
// within timeout gives Timeout. No queue is involved, so no wrap-up
// follows.
func (c *Center) RingAgent(ctx context.Context, call Caller, agentID string, timeout time.Duration) (Result, error) {
	ref := event.Ref{Call: call.ID(), Interaction: call.ID(), Agent: agentID}
	c.mu.Lock()
	a, ok := c.agents[agentID]
	if !ok {
		c.mu.Unlock()
		return Result{Outcome: Timeout}, ErrUnknownAgent
	}
	if a.state != Ready || !c.phones.Registered(a.id) {
		c.emit(ref, event.DirectUnavailable{State: a.state.String()})
		c.mu.Unlock()
		return Result{Outcome: Timeout}, nil
	}
	ringCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	show := Party{Number: call.Caller()}
	if named, ok := call.(interface{ CallerName() string }); ok {
		show.Name = named.CallerName()
	}
	c.move(a, Offered, change{cause: "offer", by: event.System(), ref: event.Ref{Call: ref.Call, Interaction: ref.Interaction}, party: show})
	a.stopRing = cancel
	c.emit(ref, event.DirectOffered{})
	c.mu.Unlock()

	music := c.sounds.Get("hold-music")
	call.Play(music, true)
	// The ring ends when the caller hangs up, too.
	go func() {
		select {
		case <-call.Done():
			cancel()
		case <-ringCtx.Done():
		}
	}()
	leg, err := c.phones.Ring(ringCtx, a.id, show)

	c.mu.Lock()
	if err == nil && a.state != Offered {
		// The agent logged out as the phone answered.
		leg.Hangup(hangup.AgentLoggedOut)
		err = context.Canceled
	}
	if err != nil {
		c.release(a, "no-answer", event.Ref{Call: ref.Call, Interaction: ref.Interaction})
		c.emit(ref, event.DirectFailed{Cause: string(ringCause(err))})
		c.dispatch()
		c.mu.Unlock()
		select {
		case <-call.Done():
			return Result{Outcome: Hangup}, nil
		default:
			return Result{Outcome: Timeout}, nil
		}
	}
	c.move(a, OnCall, change{cause: "answer", by: event.System(), ref: event.Ref{Call: ref.Call, Interaction: ref.Interaction}})
	c.emit(ref, event.DirectAnswered{})
	c.log.Info("caller connected to agent", "call_id", call.ID(), "agent", a.id)
	if err := c.phones.Bridge(call, leg, music); err != nil {
		c.unbridged(leg, ref, err)
	}
	h := c.allowTransfer(leg, event.Ref{Call: ref.Call, Interaction: ref.Interaction}, a)
	since := c.now()
	c.mu.Unlock()

	ended := event.CallEnded{EndedBy: "caller"}
	select {
	case <-call.Done():
	case <-ctx.Done():
		ended.EndedBy = "server"
	case <-leg.Done():
		ended = event.CallEnded{EndedBy: "agent", Reason: leg.EndCause().String()}
	}
	if ended.EndedBy != "agent" {
		leg.Hangup(hangup.CallOver)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	talk := c.now().Sub(since)
	c.callEnded("", ref, a, ended, talk)
	if ended.EndedBy == "agent" && h.transfer != nil {
		return Result{Outcome: Transferred, Talk: talk, Transfer: *h.transfer}, nil
	}
	return Result{Outcome: Answered, Talk: talk}, nil
}
