package acd

import (
	"context"
	"fmt"
	"slices"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/numbering"
	"github.com/acdserver/acd/store"
)

// callbackNumber decides once whether a caller could ever be offered
// callback (R-CB-3..5): the queue has it, and the caller ID is valid and
// of a type the queue may dial (emergency never). It returns the number
// in E.164, or ""; c.mu is held.
func (c *Center) callbackNumber(q *queue, e *entry) string {
	cb := q.cfg.Callback
	if cb == nil || !cb.Enabled || c.callbacks == nil {
		return ""
	}
	e164, typ, err := c.callable(cb, e.in.Party.Number)
	if err != nil {
		c.log.Info("callback not possible for this caller", "call_id", e.id, "queue", q.name, "number_type", string(typ))
		return ""
	}
	return e164
}

// callable returns the E.164 form of number when the queue whose callback
// setting is cb may dial it: a valid number of an allowed type, never an
// emergency number. The offer and every dial ask it, so that a request
// made under rules since tightened is not dialled. typ is empty when the
// number is not a valid one.
func (c *Center) callable(cb *config.Callback, number string) (e164 string, typ numbering.Type, err error) {
	typ, e164, err = c.numbers.Classify(number)
	if err != nil {
		return "", "", err
	}
	if typ == numbering.Emergency || !slices.Contains(cb.AllowedNumberTypes, string(typ)) {
		return "", typ, fmt.Errorf("number type %s may not be dialled", typ)
	}
	return e164, typ, nil
}

// CallbackDue reports whether the caller should be invited to ask for a
// callback now (R-CB-3): the queue's average wait is above its threshold
// and none of its agents is free.
func (c *Center) CallbackDue(t *Ticket) bool {
	if !t.CallbackPossible() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return offerCallback(&t.q.window, c.now(), t.q.cfg.Callback.ThresholdD(), c.anyFree(t.q))
}

// CallbackOffered records that the caller is being invited to ask for a
// callback: from now on its # is a request.
func (c *Center) CallbackOffered(t *Ticket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	avg, n := t.q.window.average(c.now())
	c.emit(t.e.ref(""), event.CallbackOffered{AverageWaitMS: event.Ms(avg), CallsInWindow: n})
}

// RequestCallback takes the caller's #: the request is stored, then
// CallbackRequested decides. It reports whether the caller left the
// queue for it; an error storing it keeps the caller waiting.
func (c *Center) RequestCallback(ctx context.Context, t *Ticket) bool {
	e := t.e
	req, merged, err := c.callbacks.Request(ctx, store.CallbackRequest{Queue: t.q.name, Number: t.callback, CallID: e.id, Joined: e.joined})
	if err != nil {
		c.log.Error("callback request not recorded; the caller stays in the queue", "call_id", e.id, "queue", t.q.name, "error", err)
		return false
	}
	return c.CallbackRequested(ctx, t, req, merged)
}

// CallbackRequested is a stored request (merged into an open one for the
// same number, or new) from a waiting caller. It keeps the caller's place
// in the queue, and the caller leaves it, unless an agent's answer won
// the caller first: then the caller talks to the agent, the request stays
// open for the agent's decision, and it reports false. Answer and this
// are each decided under c.mu, on e.taken. When the caller leaves, the
// event is committed before it returns, so the caller is told only then.
func (c *Center) CallbackRequested(ctx context.Context, t *Ticket, req store.CallbackRequest, merged bool) bool {
	e, q := t.e, t.q
	c.mu.Lock()
	if e.taken {
		if !merged {
			c.addCallbackLocked(q, req, e.in.ID)
		}
		c.mu.Unlock()
		c.log.Info("callback requested as an agent answered; the caller is connected", "call_id", e.id, "queue", q.name, "request", req.ID)
		return false
	}
	e.cancel()
	c.removeLocked(q, e)
	waited := c.now().Sub(e.joined)
	q.window.add(c.now(), waited)
	c.emit(e.ref(""), event.CallbackRequested{Request: req.ID, Number: t.callback, Merged: merged, WaitedMS: event.Ms(waited)})
	if !merged {
		c.addCallbackLocked(q, req, e.in.ID)
	}
	c.dispatch()
	c.mu.Unlock()
	if c.events != nil {
		if err := c.events.Flush(ctx); err != nil {
			c.log.Warn("event log flush", "error", err)
		}
	}
	c.log.Info("callback requested", "call_id", e.id, "queue", q.name, "request", req.ID, "merged", merged)
	return true
}

// addCallbackLocked puts a request in its queue's waiting list at the
// caller's original place; interaction is the call that asked for it.
func (c *Center) addCallbackLocked(q *queue, r store.CallbackRequest, interaction string) {
	r.Status = store.CallbackPending
	in := &Interaction{ID: interaction, Kind: Callback, Queue: q.name, Party: Party{Number: r.Number, Name: "Callback"}}
	e := &entry{id: fmt.Sprintf("callback-%d", r.ID), in: in, req: &r, joined: r.Joined}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	q.insert(e)
}

// LoadCallbacks puts every open request back in its queue, in the order
// callers joined. A request caught mid-dial by a restart is pending again:
// retried, never dropped, and not being dialled by anyone now.
func (c *Center) LoadCallbacks(ctx context.Context) error {
	if c.callbacks == nil {
		return nil
	}
	open, err := c.callbacks.Open(ctx, "")
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range open {
		q, ok := c.queues[r.Queue]
		if !ok {
			c.log.Warn("callback request for a queue that no longer exists", "request", r.ID, "queue", r.Queue)
			continue
		}
		c.addCallbackLocked(q, r, r.CallID)
		c.emit(event.Ref{Call: fmt.Sprintf("callback-%d", r.ID), Interaction: r.CallID, Queue: r.Queue},
			event.CallbackRestored{Request: r.ID, Number: r.Number, Attempts: r.Attempts})
	}
	c.dispatch()
	return nil
}

// storeCallback writes a request's new state. A write that fails is
// logged: the request is then redone from its last stored state after a
// restart (a completed call dialled again is the worst case).
func (c *Center) storeCallback(r store.CallbackRequest) {
	if err := c.callbacks.Update(context.Background(), r); err != nil {
		c.log.Error("callback request: storing its state failed", "request", r.ID, "status", r.Status, "error", err)
	}
}
