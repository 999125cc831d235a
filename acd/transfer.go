package acd

import (
	"context"
	"time"
)

// RingAgent rings one agent directly for a caller (a dial plan's transfer
// node) and bridges them on answer; the caller hears hold music while it
// rings. An agent who is not ready, or not reachable, or does not answer
// within timeout gives Timeout. No queue is involved, so no wrap-up
// follows.
func (c *Center) RingAgent(ctx context.Context, call Caller, agentID string, timeout time.Duration) (Outcome, error) {
	c.mu.Lock()
	a, ok := c.agents[agentID]
	if !ok {
		c.mu.Unlock()
		return Timeout, ErrUnknownAgent
	}
	if a.state != Ready || !c.phones.Registered(a.id) {
		c.emit("transfer.unavailable", call.ID(), "", a.id, map[string]string{"state": a.state.String()})
		c.mu.Unlock()
		return Timeout, nil
	}
	a.state = Offered
	c.emit("transfer.offered", call.ID(), "", a.id, nil)
	c.mu.Unlock()

	music := c.sounds.Get("hold-music")
	call.Play(music, true)
	ringCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The ring ends when the caller hangs up, too.
	go func() {
		select {
		case <-call.Done():
			cancel()
		case <-ringCtx.Done():
		}
	}()
	show := Party{Number: call.Caller()}
	if named, ok := call.(interface{ CallerName() string }); ok {
		show.Name = named.CallerName()
	}
	leg, err := c.phones.Ring(ringCtx, a.id, show)

	c.mu.Lock()
	if err != nil {
		c.release(a)
		c.emit("transfer.failed", call.ID(), "", a.id, map[string]string{"error": err.Error()})
		c.dispatch()
		c.mu.Unlock()
		select {
		case <-call.Done():
			return Hangup, nil
		default:
			return Timeout, nil
		}
	}
	a.state = OnCall
	c.emit("transfer.answered", call.ID(), "", a.id, nil)
	c.phones.Bridge(call, leg, music)
	h := c.allowTransfer(leg, call.ID(), "", a)
	c.mu.Unlock()

	ended := map[string]string{"ended_by": "caller"}
	select {
	case <-call.Done():
	case <-ctx.Done():
		ended["ended_by"] = "server"
	case <-leg.Done():
		ended = map[string]string{"ended_by": "agent", "reason": leg.EndReason()}
	}
	if ended["ended_by"] != "agent" {
		leg.Hangup("the call is over")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a.calls++
	c.emit("call.ended", call.ID(), "", a.id, ended)
	if a.state == OnCall {
		c.setState(a, Ready, "")
		c.dispatch()
	}
	if ended["ended_by"] == "agent" && c.transferredLocked(call.ID(), h) {
		return Transferred, nil
	}
	return Answered, nil
}
