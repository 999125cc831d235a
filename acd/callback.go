package acd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/numbering"
	"github.com/acdserver/acd/store"
)

// callbackOffer is one waiting caller's callback state (R-CB-3..5): the
// invitation is played once, and # counts only from when it starts.
type callbackOffer struct {
	c       *Center
	q       *queue
	e       *entry
	number  string // the caller's number in E.164, when it may be called back
	offered bool
}

// newCallbackOffer decides once whether this caller could ever be offered
// callback: the queue has it, and the caller ID is valid and of a type the
// queue may dial (emergency never).
func newCallbackOffer(c *Center, q *queue, e *entry) *callbackOffer {
	o := &callbackOffer{c: c, q: q, e: e}
	cb := q.cfg.Callback
	if cb == nil || !cb.Enabled || c.callbacks == nil {
		return o
	}
	e164, typ, err := c.callable(cb, e.number)
	if err != nil {
		c.log.Info("callback not possible for this caller", "call_id", e.id, "queue", q.name, "number_type", string(typ))
		return o
	}
	o.number = e164
	return o
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

// possible reports whether this caller may ever be offered callback.
func (o *callbackOffer) possible() bool { return o.number != "" }

// due reports whether the invitation should play now.
func (o *callbackOffer) due() bool {
	if o.offered || o.number == "" {
		return false
	}
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	return offerCallback(&o.q.window, o.c.now(), o.q.cfg.Callback.ThresholdD(), o.c.anyFree(o.q))
}

// play starts the invitation; from now on # is a request.
func (o *callbackOffer) play() <-chan struct{} {
	o.offered = true
	o.c.mu.Lock()
	avg, n := o.q.window.average(o.c.now())
	o.c.emit(o.e.ref(""), event.CallbackOffered{AverageWaitMS: event.Ms(avg), CallsInWindow: n})
	o.c.mu.Unlock()
	return o.e.call.Play(o.c.sounds.Get("callback-offer"), false)
}

// accept takes the caller's #: the request is on disk before the caller
// hears the confirmation; it keeps the caller's place in the queue.
func (o *callbackOffer) accept(ctx context.Context) (Outcome, bool) {
	c, q, e := o.c, o.q, o.e
	req, merged, err := c.callbacks.Request(ctx, store.CallbackRequest{Queue: q.name, Number: o.number, CallID: e.id, Joined: e.joined})
	if err != nil {
		c.log.Error("callback request not recorded; the caller stays in the queue", "call_id", e.id, "queue", q.name, "error", err)
		return 0, false
	}
	c.mu.Lock()
	if e.taken {
		// An agent answered while the request was being stored: the
		// caller talks to them now; the request stays for the agent's
		// decision (it is an open request like any other).
		c.mu.Unlock()
		c.log.Info("callback requested as an agent answered; the caller is connected", "call_id", e.id, "queue", q.name, "request", req.ID)
		if !merged {
			c.mu.Lock()
			c.addCallbackLocked(q, req, e.interaction)
			c.mu.Unlock()
		}
		return 0, false
	}
	e.cancel()
	c.removeLocked(q, e)
	waited := c.now().Sub(e.joined)
	q.window.add(c.now(), waited)
	c.emit(e.ref(""), event.CallbackRequested{Request: req.ID, Number: o.number, Merged: merged, WaitedMS: event.Ms(waited)})
	if !merged {
		c.addCallbackLocked(q, req, e.interaction)
	}
	c.dispatch()
	c.mu.Unlock()
	if c.events != nil {
		// The request's event, too, is committed before the caller is told.
		if err := c.events.Flush(ctx); err != nil {
			c.log.Warn("event log flush", "error", err)
		}
	}
	c.log.Info("callback requested", "call_id", e.id, "queue", q.name, "request", req.ID, "merged", merged)
	select {
	case <-e.call.Play(c.sounds.Get("callback-confirmed"), false):
	case <-e.call.Done():
	case <-ctx.Done():
	}
	return CalledBack, true
}

// addCallbackLocked puts a request in its queue's waiting list at the
// caller's original place; interaction is the call that asked for it.
func (c *Center) addCallbackLocked(q *queue, r store.CallbackRequest, interaction string) {
	r.Status = store.CallbackPending
	e := &entry{id: fmt.Sprintf("callback-%d", r.ID), interaction: interaction, number: r.Number, callback: &r, queue: q.name, joined: r.Joined}
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

// RestoreWindow refills the 15-minute wait windows from the event log
// after a restart.
func (c *Center) RestoreWindow(events []store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cut := c.now().Add(-WaitWindow)
	for _, ev := range events {
		q, ok := c.queues[ev.Queue]
		if !ok || ev.At.Before(cut) {
			continue
		}
		if ms, ok := waitedMS(ev); ok {
			q.window.add(ev.At, time.Duration(ms)*time.Millisecond)
		}
	}
}

// waitedMS is how long a caller had waited, from an event that ends a
// wait in a queue. Rows from before typed events keep it as text.
func waitedMS(ev store.Event) (int64, bool) {
	switch ev.Type {
	case "caller.abandoned", "caller.timeout", "caller.exit", "caller.server_stopped", "agent.answered", "callback.requested":
	default:
		return 0, false
	}
	if ev.Version == 0 {
		var old struct {
			WaitedMS int64 `json:"waited_ms,string"`
		}
		return old.WaitedMS, json.Unmarshal(ev.Data, &old) == nil
	}
	var w struct {
		WaitedMS *int64 `json:"waited_ms"`
	}
	if json.Unmarshal(ev.Data, &w) != nil || w.WaitedMS == nil {
		return 0, false
	}
	return *w.WaitedMS, true
}

// serveCallback runs once an agent has answered for a request: the
// customer is dialled through the trunk with the queue's caller ID and, on
// answer, bridged to the agent. A failed attempt is retried after
// retry_after, up to attempts times.
func (c *Center) serveCallback(q *queue, e *entry, a *agent, agentLeg Leg) {
	cb := q.cfg.Callback
	r := *e.callback
	r.Status = store.CallbackDialing
	r.Attempts++
	c.storeCallback(r)
	log := c.log.With("call_id", e.id, "queue", q.name, "agent", a.id, "request", r.ID)
	c.mu.Lock()
	c.emit(e.ref(a.id), event.CallbackDialing{Request: r.ID, Number: r.Number, Attempt: r.Attempts})
	c.mu.Unlock()
	log.Info("calling the customer back", "attempt", r.Attempts)
	// The agent hears what is happening while the customer's phone is
	// dialled, not silence.
	agentLeg.Play(c.sounds.Get("callback-dialing"), true)

	// Check the number again at the moment of dialling: the queue's
	// allowed types or the numbering plan may have changed since the
	// request, and emergency numbers are never dialled.
	var customer Leg
	var cause RingCause
	number, _, err := c.callable(cb, r.Number)
	if err != nil {
		r.Attempts = cb.Attempts // no retry can make it dialable
		cause = RingNotDialable
	} else {
		// Bounded, and also ended by the agent hanging up: the agent
		// is not kept waiting on a customer who does not answer.
		ctx, cancel := context.WithTimeout(context.Background(), cb.DialTimeoutD())
		go func() {
			select {
			case <-agentLeg.Done():
				cancel()
			case <-ctx.Done():
			}
		}()
		customer, err = c.phones.Dial(ctx, cb.Trunk, number, cb.CallerID)
		cancel() // also ends the goroutine above
		cause = ringCause(err)
	}
	if err == nil {
		select {
		case <-agentLeg.Done():
			customer.Hangup(hangup.AgentHungUpFirst)
			err = errors.New("agent hung up")
		default:
		}
	}
	if err != nil {
		select {
		case <-agentLeg.Done():
			cause = RingAgentHungUp
		default:
			// Tell the agent, then free them; the request waits for its
			// next attempt in its place.
			select {
			case <-agentLeg.Play(c.sounds.Get("callback-unreachable"), false):
			case <-agentLeg.Done():
			case <-time.After(15 * time.Second):
			}
			agentLeg.Hangup(hangup.CustomerUnreachable)
		}
		log.Info("callback attempt failed", "attempt", r.Attempts, "cause", cause, "error", err)
		c.mu.Lock()
		defer c.mu.Unlock()
		retry := r.Attempts < cb.Attempts
		c.emit(e.ref(a.id), event.CallbackAttemptFailed{Request: r.ID, Attempt: r.Attempts, Cause: string(cause), Retry: retry})
		if !retry {
			r.Status = store.CallbackFailed
			c.removeLocked(q, e)
			c.emit(e.ref(""), event.CallbackFailed{Request: r.ID, Attempts: r.Attempts})
			log.Info("callback failed: no attempts left", "attempts", r.Attempts)
		} else {
			r.Status = store.CallbackPending
			r.NextAttempt = c.now().Add(cb.RetryAfter.D())
			time.AfterFunc(cb.RetryAfter.D(), func() {
				c.mu.Lock()
				defer c.mu.Unlock()
				c.dispatch()
			})
		}
		c.storeCallback(r)
		*e.callback = r
		e.ringing = false
		if a.state == OnCall {
			ch := change{cause: "callback-failed", by: event.System(), ref: e.ref("")}
			if len(a.queues) == 0 {
				c.move(a, LoggedOut, ch)
			} else {
				c.move(a, Ready, ch)
			}
		}
		c.dispatch()
		return
	}
	if err := c.phones.BridgeLegs(agentLeg, customer, c.sounds.Get(q.cfg.HoldMusic)); err != nil {
		c.mu.Lock()
		c.unbridged(customer, e.ref(a.id), err)
		c.unbridged(agentLeg, e.ref(a.id), err)
		c.mu.Unlock()
	}
	since := c.now()
	c.mu.Lock()
	if a.state == OnCall && a.callback {
		a.connected = true // before the event, which redraws the agent's console
	}
	c.emit(e.ref(a.id), event.CallbackConnected{Request: r.ID, Number: r.Number})
	c.mu.Unlock()
	log.Info("callback connected")
	// Whichever side ended, the bridge hangs up the other.
	ended := endedBy(customer.Done(), agentLeg)
	if ended.EndedBy == "caller" {
		ended = event.CallEnded{EndedBy: "customer", Reason: customer.EndCause().String()}
	}
	r.Status = store.CallbackCompleted
	c.storeCallback(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(q, e)
	c.emit(e.ref(a.id), event.CallbackCompleted{Request: r.ID})
	// Not counted in the inbound call's talk time: that call's record
	// was written when it ended, before the callback.
	c.callEnded(q.name, e.ref(a.id), a, ended, c.now().Sub(since))
}

// storeCallback writes a request's new state. A write that fails is
// logged: the request is then redone from its last stored state after a
// restart (a completed call dialled again is the worst case).
func (c *Center) storeCallback(r store.CallbackRequest) {
	if err := c.callbacks.Update(context.Background(), r); err != nil {
		c.log.Error("callback request: storing its state failed", "request", r.ID, "status", r.Status, "error", err)
	}
}
