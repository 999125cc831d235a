package acd

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/acdserver/acd/config"
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
	return offerCallback(&o.q.window, o.c.now(), o.q.cfg.Callback.ThresholdD(), len(o.c.free(o.q)) > 0)
}

// play starts the invitation; from now on # is a request.
func (o *callbackOffer) play() <-chan struct{} {
	o.offered = true
	o.c.mu.Lock()
	avg, n := o.q.window.average(o.c.now())
	o.c.emit("callback.offered", o.e.id, o.q.name, "", map[string]string{"average_wait_ms": fmt.Sprint(avg.Milliseconds()), "calls_in_window": fmt.Sprint(n)})
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
	e.cancel()
	c.removeLocked(q, e)
	waited := c.now().Sub(e.joined)
	q.window.add(c.now(), waited)
	c.emit("callback.requested", e.id, q.name, "", map[string]string{"request": fmt.Sprint(req.ID), "number": o.number,
		"merged": fmt.Sprint(merged), "waited_ms": fmt.Sprint(waited.Milliseconds())})
	if !merged {
		c.addCallbackLocked(q, req)
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
// caller's original place.
func (c *Center) addCallbackLocked(q *queue, r store.CallbackRequest) {
	r.Status = store.CallbackPending
	e := &entry{id: fmt.Sprintf("callback-%d", r.ID), number: r.Number, callback: &r, queue: q.name, joined: r.Joined}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	q.waiting = append(q.waiting, e)
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
		c.addCallbackLocked(q, r)
		c.emit("callback.restored", fmt.Sprintf("callback-%d", r.ID), r.Queue, "", map[string]string{"number": r.Number, "attempts": fmt.Sprint(r.Attempts)})
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
		switch ev.Type {
		case "caller.abandoned", "caller.timeout", "caller.exit", "agent.answered", "callback.requested":
		default:
			continue
		}
		q, ok := c.queues[ev.Queue]
		if !ok || ev.At.Before(cut) {
			continue
		}
		var ms int64
		if _, err := fmt.Sscan(ev.Data["waited_ms"], &ms); err == nil {
			q.window.add(ev.At, time.Duration(ms)*time.Millisecond)
		}
	}
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
	_ = c.callbacks.Update(context.Background(), r)
	c.mu.Lock()
	c.emit("callback.dialing", e.id, q.name, a.id, map[string]string{"number": r.Number, "attempt": fmt.Sprint(r.Attempts)})
	c.mu.Unlock()

	// Check the number again at the moment of dialling: the queue's
	// allowed types or the numbering plan may have changed since the
	// request, and emergency numbers are never dialled.
	var customer Leg
	number, _, err := c.callable(cb, r.Number)
	if err != nil {
		r.Attempts = cb.Attempts // no retry can make it dialable
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		customer, err = c.phones.Dial(ctx, cb.Trunk, number, cb.CallerID)
		cancel()
	}
	if err == nil {
		select {
		case <-agentLeg.Done():
			customer.Hangup("the agent hung up before the customer answered")
			err = fmt.Errorf("agent hung up")
		default:
		}
	}
	if err != nil {
		agentLeg.Hangup("the customer could not be reached")
		c.mu.Lock()
		defer c.mu.Unlock()
		c.emit("callback.attempt_failed", e.id, q.name, a.id, map[string]string{"attempt": fmt.Sprint(r.Attempts), "error": err.Error()})
		if r.Attempts >= cb.Attempts {
			r.Status = store.CallbackFailed
			c.removeLocked(q, e)
			c.emit("callback.failed", e.id, q.name, "", map[string]string{"attempts": fmt.Sprint(r.Attempts)})
		} else {
			r.Status = store.CallbackPending
			r.NextAttempt = c.now().Add(cb.RetryAfter.D())
			time.AfterFunc(cb.RetryAfter.D(), func() {
				c.mu.Lock()
				defer c.mu.Unlock()
				c.dispatch()
			})
		}
		_ = c.callbacks.Update(context.Background(), r)
		*e.callback = r
		e.ringing = false
		if a.state == OnCall {
			c.setStateQuiet(a, Ready)
		}
		c.dispatch()
		return
	}
	c.phones.BridgeLegs(agentLeg, customer, c.sounds.Get(q.cfg.HoldMusic))
	c.mu.Lock()
	c.emit("callback.connected", e.id, q.name, a.id, map[string]string{"number": r.Number})
	c.mu.Unlock()
	// Whichever side ended, the bridge hangs up the other.
	ended := endedBy(customer.Done(), agentLeg)
	if ended["ended_by"] == "caller" {
		ended = map[string]string{"ended_by": "customer", "reason": customer.EndReason()}
	}
	r.Status = store.CallbackCompleted
	_ = c.callbacks.Update(context.Background(), r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(q, e)
	c.emit("callback.completed", e.id, q.name, a.id, nil)
	c.callEnded(q, e, a, ended)
}
