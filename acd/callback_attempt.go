package acd

import (
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/store"
)

// Dial is one attempt at calling a callback's customer, as the core
// decided it once an agent answered the request's offer.
type Dial struct {
	Request int64
	Attempt int
	// Number is the customer's number in E.164, checked again now: ""
	// when the queue's rules or the numbering plan no longer let it be
	// dialled (and no attempt ever will).
	Number   string
	Trunk    string
	CallerID string
	// Timeout bounds the dial; the agent hanging up ends it too.
	Timeout time.Duration
}

// CallbackDialing starts an attempt for a callback offer its agent
// answered: the request is stored as being dialled and the attempt
// counted.
func (c *Center) CallbackDialing(o *Offer, agentID string) Dial {
	c.mu.Lock()
	cb := o.q.cfg.Callback
	r := *o.e.req
	r.Status = store.CallbackDialing
	r.Attempts++
	// Checked at the moment of dialling: the queue's allowed types or
	// the numbering plan may have changed since the request, and
	// emergency numbers are never dialled.
	number, _, err := c.callable(cb, r.Number)
	d := Dial{Request: r.ID, Attempt: r.Attempts, Number: number, Trunk: cb.Trunk, CallerID: cb.CallerID, Timeout: cb.DialTimeoutD()}
	c.mu.Unlock()
	c.storeCallback(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emit(o.e.ref(agentID), event.CallbackDialing{Request: r.ID, Number: r.Number, Attempt: r.Attempts})
	if err != nil {
		r.Attempts = cb.Attempts // no retry can make it dialable
	}
	o.attempt = r
	return d
}

// CallbackFailed is an attempt that did not reach the customer, for
// cause; the flow has told the agent and hung up its leg. The request is
// retried after retry_after, in its place, while attempts are left, else
// it has failed; the agent is free again.
func (c *Center) CallbackFailed(o *Offer, agentID string, cause hangup.RingCause) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, q, r := o.e, o.q, o.attempt
	cb := q.cfg.Callback
	retry := r.Attempts < cb.Attempts
	c.emit(e.ref(agentID), event.CallbackAttemptFailed{Request: r.ID, Attempt: r.Attempts, Cause: cause.String(), Retry: retry})
	if !retry {
		r.Status = store.CallbackFailed
		c.removeLocked(q, e)
		c.emit(e.ref(""), event.CallbackFailed{Request: r.ID, Attempts: r.Attempts})
		c.log.Info("callback failed: no attempts left", "call_id", e.id, "queue", q.name, "agent", agentID, "request", r.ID, "attempts", r.Attempts)
	} else {
		r.Status = store.CallbackPending
		r.NextAttempt = c.now().Add(cb.RetryAfter.D())
		c.dispatchAfter(cb.RetryAfter.D())
	}
	c.storeCallback(r)
	*e.req = r
	q.setRinging(e, false)
	if a := o.agent(agentID); a != nil && a.state == OnCall {
		ch := change{cause: "callback-failed", by: event.System(), ref: e.ref("")}
		if len(a.queues) == 0 {
			c.move(a, LoggedOut, ch)
		} else {
			c.move(a, Ready, ch)
		}
	}
	c.dispatch()
}

// CallbackConnected is the customer answering and being bridged to the
// agent.
func (c *Center) CallbackConnected(o *Offer, agentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := o.agent(agentID); a != nil && a.state == OnCall && a.callback {
		a.connected = true // before the event, which redraws the agent's console
	}
	c.emit(o.e.ref(agentID), event.CallbackConnected{Request: o.attempt.ID, Number: o.attempt.Number})
}

// CallbackCompleted is the end of a connected callback's call, after
// talk: the request is done and the agent goes to wrap-up, or on.
func (c *Center) CallbackCompleted(o *Offer, agentID string, ended event.CallEnded, talk time.Duration) {
	c.mu.Lock()
	r := o.attempt
	c.mu.Unlock()
	r.Status = store.CallbackCompleted
	c.storeCallback(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(o.q, o.e)
	c.emit(o.e.ref(agentID), event.CallbackCompleted{Request: r.ID})
	// Not counted in the inbound call's talk time: that call's record
	// was written when it ended, before the callback.
	if a := o.agent(agentID); a != nil {
		c.callEnded(o.q.name, o.e.ref(a.id), a, ended, talk)
	}
}
