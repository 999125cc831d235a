package acd

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

type queue struct {
	name    string
	cfg     *config.Queue
	waiting []*entry // by the time callers joined, then Call-ID
	// list is waiting as last handed to readers, shared by all of them
	// until it changes: a supervisor's view of thousands of callers is
	// then copied once per change, not once per read. nil once waiting
	// or an entry's ringing has changed since (insert, removeLocked,
	// setRinging); never nil when fresh, even empty. Guarded by
	// Center.mu; the lists handed out are never written again.
	list    []WaitingCaller
	next    int      // round-robin position
	ready   int      // agents logged in to it and in Ready
	members []*agent // agents logged in to it, in configuration order
	window  waitWindow
}

// entry is one place in a queue's waiting list: an interaction waiting
// for an agent. All of it is guarded by Center.mu.
type entry struct {
	id     string // the caller's Call-ID, or "callback-N"
	in     *Interaction
	req    *store.CallbackRequest // the request, for a Callback interaction
	joined time.Time
	// ringing: an offer of it is in progress (for a callback, until the
	// customer's call is over).
	ringing bool
	// waiter is what readers of the waiting list see of the entry that
	// does not change; made by the first read after it joined.
	waiter *Waiter
	// missedBy holds the agents who missed this caller, who are tried
	// last, each with the time before which it is not offered to them
	// again (zero when it may be at once).
	missedBy map[string]time.Time
	// taken is set when an agent's answer wins the caller; the caller's
	// leaving (timeout, *, hang-up, callback) is decided under the same
	// lock and cancels ctx, so exactly one of the two happens.
	taken  bool
	ctx    context.Context
	cancel context.CancelFunc
}

// ref places the entry's events, for agent (or none).
func (e *entry) ref(agent string) event.Ref {
	return event.Ref{Call: e.id, Interaction: e.in.ID, Queue: e.in.Queue, Agent: agent}
}

// due reports whether the entry may be offered to an agent now.
func (e *entry) due(now time.Time) bool {
	return !e.ringing && e.ctx.Err() == nil && (e.in.Kind != Callback || !now.Before(e.req.NextAttempt))
}

// insert puts an entry in the waiting list at its place by join time: at
// the end for a caller who just joined, earlier for a callback request
// that keeps an older caller's place.
func (q *queue) insert(e *entry) {
	i := sort.Search(len(q.waiting), func(i int) bool { return e.before(q.waiting[i]) })
	q.waiting = slices.Insert(q.waiting, i, e)
	q.list = nil
}

// setRinging marks whether an offer of e is in progress; e waits in q.
func (q *queue) setRinging(e *entry, on bool) {
	e.ringing = on
	q.list = nil
}

// readList is the waiting list for readers, made again only when it
// changed since the last read; c.mu is held.
func (q *queue) readList() []WaitingCaller {
	if q.list == nil {
		list := make([]WaitingCaller, len(q.waiting))
		for i, e := range q.waiting {
			if e.waiter == nil {
				e.waiter = &Waiter{CallID: e.id, Caller: e.in.Party.Number, Joined: e.joined, Callback: e.in.Kind == Callback}
			}
			list[i] = WaitingCaller{Waiter: e.waiter, Ringing: e.ringing}
		}
		q.list = list
	}
	// Full: a reader's append makes a copy rather than writing into
	// what other readers hold.
	return q.list[:len(q.list):len(q.list)]
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
		q.list = nil
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

// Ticket is a voice caller's place in a queue, from Join until it leaves
// or is answered.
type Ticket struct {
	e *entry
	q *queue
	// Set by Join, not changed after.
	hold     string        // the queue's hold music
	announce time.Duration // how often the announcement plays
	message  string        // the announcement: "please-hold" unless set
	callback string        // the caller's number in E.164, when it may be called back
}

// HoldMusic is the name of the queue's hold music.
func (t *Ticket) HoldMusic() string { return t.hold }

// AnnounceEvery is how often the caller hears the announcement.
func (t *Ticket) AnnounceEvery() time.Duration { return t.announce }

// Announcement is the name of what the caller hears every AnnounceEvery.
func (t *Ticket) Announcement() string { return t.message }

// CallbackPossible reports whether this caller may ever be offered
// callback: the queue has it, and the caller's number is valid and of a
// type the queue may dial (emergency never).
func (t *Ticket) CallbackPossible() bool { return t.callback != "" }

// Join puts a voice caller in its queue's waiting list and offers it at
// once if an agent is free. The caller stays until Leave, or until an
// agent's Answer wins it; when ctx ends, its rings stop and it is offered
// no more, but Leave still records how it left.
func (c *Center) Join(ctx context.Context, in *Interaction) (*Ticket, error) {
	c.mu.Lock()
	q, ok := c.queues[in.Queue]
	if !ok {
		c.mu.Unlock()
		return nil, fmt.Errorf("queue %q: %w", in.Queue, ErrUnknownQueue)
	}
	e := &entry{id: in.ID, in: in, joined: c.now()}
	e.ctx, e.cancel = context.WithCancel(ctx)
	t := &Ticket{e: e, q: q, hold: q.cfg.HoldMusic, announce: q.cfg.AnnounceEvery.D(), message: q.cfg.Announcement, callback: c.callbackNumber(q, e)}
	q.insert(e)
	masked := event.MaskAll(in.Vars)
	c.emit(e.ref(""), event.CallerJoined{Caller: in.Party.Number, Vars: masked})
	c.dispatch()
	c.mu.Unlock()
	c.log.Info("caller joined queue", "call_id", in.ID, "queue", in.Queue, "vars", masked)
	return t, nil
}

// Departure is why a waiting caller leaves its queue without an agent.
type Departure int

// The ways a caller leaves a queue without an agent.
const (
	TimedOut  Departure = iota // the dial plan's timeout passed
	Exited                     // the caller pressed *
	Abandoned                  // the caller hung up
	Stopped                    // the server is stopping: the caller did not give up
)

// Outcome is what the dial plan is told of the departure.
func (d Departure) Outcome() Outcome {
	return [...]Outcome{Timeout, Exit, Hangup, Hangup}[d]
}

func (d Departure) payload(waited int64) event.Payload {
	switch d {
	case TimedOut:
		return event.CallerTimedOut{WaitedMS: waited}
	case Exited:
		return event.CallerExited{WaitedMS: waited}
	case Abandoned:
		return event.CallerAbandoned{WaitedMS: waited}
	}
	return event.CallerStopped{WaitedMS: waited}
}

func (d Departure) why() string {
	return [...]string{"queue timeout", "caller left queue with *", "caller abandoned queue", "caller still waiting at shutdown"}[d]
}

// Leave takes the caller out of its queue, unless an agent's answer won
// it first: then it reports false, and the caller is the agent's. The
// answer and the leaving are each decided under c.mu, on e.taken, so
// exactly one of them happens.
func (c *Center) Leave(t *Ticket, d Departure) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, q := t.e, t.q
	if e.taken {
		return false
	}
	e.cancel() // under the lock: a ring that ends now sees the caller gone
	c.removeLocked(q, e)
	waited := c.now().Sub(e.joined)
	q.window.add(c.now(), waited)
	c.emit(e.ref(""), d.payload(event.Ms(waited)))
	c.log.Info(d.why(), "call_id", e.id, "queue", q.name, "waited_ms", event.Ms(waited), "outcome", d.Outcome().String())
	return true
}
