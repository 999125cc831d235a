package acd

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/acdserver/acd/event"
)

// dispatch offers waiting callers to free agents; the caller holds c.mu.
// Callers are taken by queue weight, then by how long they have waited,
// so the order is deterministic; each queue's strategy picks the agent.
// It runs on every change, so it looks only at queues that have a ready
// agent, and at the first offerable caller of each: its cost does not
// grow with the number of callers waiting. With no agent ready, the usual
// state of a queue that has callers waiting, it is a check the caller
// makes inline.
func (c *Center) dispatch() {
	if c.ready > 0 && !c.closed {
		c.dispatchReady()
	}
}

// dispatchReady is dispatch once some agent is ready.
func (c *Center) dispatchReady() {
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
	return a.state == Ready && a.inUse == 0 && !now.Before(a.busyUntil) && c.phones.Registered(a.id)
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

// offer moves the agents to Offered for an entry and hands the offer to
// the flows, which ring them; c.mu is held.
func (c *Center) offer(q *queue, e *entry, agents []*agent) {
	q.setRinging(e, true)
	callback := e.in.Kind == Callback
	ctx, cancel := context.WithTimeout(e.ctx, q.cfg.RingTimeout.D())
	o := &Offer{Interaction: e.in, Show: e.in.Party, RingTimeout: q.cfg.RingTimeout.D(), Hold: q.cfg.HoldMusic, Ctx: ctx,
		e: e, q: q, cancel: cancel, offered: c.now(), agents: agents, ref: e.ref("")}
	o.Rings = make([]Ring, len(agents))
	for i, a := range agents {
		actx, stop := context.WithCancel(ctx)
		o.Rings[i] = Ring{Agent: a.id, Ctx: actx}
		c.move(a, Offered, change{cause: "offer", by: event.System(), ref: o.ref, party: o.Show, callback: callback})
		a.stopRing = stop
		c.emit(e.ref(a.id), event.CallerOffered{Callback: callback})
	}
	if c.offers != nil {
		c.offers.Offer(o)
	}
}
