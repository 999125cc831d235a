package acd

import (
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/numbering"
)

// Center owns queues, agents and distribution. Its mutex is the one owner
// of that state; events are appended while it is held, so the log's order
// is the order things happened.
type Center struct {
	mu         sync.Mutex
	agents     map[string]*agent
	agentOrder []string // configuration order, for the linear strategy
	queues     map[string]*queue
	queueOrder []*queue // by weight, highest first, then name: dispatch's order
	// retired are queues and agents the configuration no longer has,
	// kept until their last caller leaves or their last call ends.
	retiredQueues   map[string]bool
	retiredAgents   map[string]bool
	ready           int // agents in Ready, for dispatch to do nothing when none is
	reasons         pauseReasons
	allowUnassigned bool
	phones          Registrar
	offers          Offerer
	events          EventLog
	callbacks       Callbacks
	numbers         *numbering.Plan
	log             *slog.Logger
	now             func() time.Time
	planNumbers     *config.NumberRoutes // of the dial plan: transfer targets
	// busyBackoff is how long an agent whose phone answered busy is not
	// rung, for any caller: see DefaultBusyBackoff.
	busyBackoff time.Duration
	wake        wakeUps
	// closed: the server is stopping; nothing is offered any more.
	closed bool
}

// NewCenter builds the distributor's core for a configuration. Agents
// start logged out. offers is told of every offer dispatch makes, with
// the lock held; callbacks may be nil when no queue offers callback.
func NewCenter(cfg *config.Config, phones Registrar, events EventLog, callbacks Callbacks, offers Offerer, log *slog.Logger) *Center {
	c := &Center{
		callbacks:     callbacks,
		numbers:       cfg.Numbering.Plan(),
		agents:        map[string]*agent{},
		queues:        map[string]*queue{},
		phones:        phones,
		offers:        offers,
		events:        events,
		log:           log,
		now:           time.Now,
		reasons:       pauseReasons{enabled: map[string]bool{}},
		planNumbers:   config.NewNumberRoutes(nil),
		retiredQueues: map[string]bool{},
		retiredAgents: map[string]bool{},
		busyBackoff:   DefaultBusyBackoff,
	}
	c.applyLocked(cfg, false)
	for _, r := range cfg.PauseReasons {
		c.reasons.names = append(c.reasons.names, r)
		c.reasons.enabled[r] = true
	}
	return c
}

// Close stops the core at shutdown, once the SIP side has hung up every
// call: nothing is offered any more, timers are stopped, every ring and
// every wait is told to end (their ctx ends). Callback requests are let
// go: they stay stored. The flows' owner then waits for its goroutines.
func (c *Center) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.wake.stop()
	for _, a := range c.agents {
		c.stopWrapUp(a)
		if a.stopRing != nil {
			a.stopRing()
		}
	}
	for _, q := range c.queues {
		for _, e := range q.waiting {
			e.cancel()
		}
	}
}

// SetBusyBackoff changes how long an agent whose phone answered busy is
// not rung: for tests, which cannot wait DefaultBusyBackoff.
func (c *Center) SetBusyBackoff(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busyBackoff = d
}

// emit appends an event; the caller holds c.mu, so that the log's order
// is the order things happened.
func (c *Center) emit(ref event.Ref, p event.Payload) {
	if c.events != nil {
		c.events.Append(event.New(c.now(), ref, p))
	}
}

// PhoneChanged is told when an agent's phone becomes reachable (it
// registered, or answers the server's OPTIONS again) or not (its
// registration ran out or was removed, or it stopped answering), and why:
// the SIP side's cause, which the event carries.
func (c *Center) PhoneChanged(agentID string, reachable bool, cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[agentID]
	if !ok {
		return
	}
	a.unreachable = !reachable && cause == PhoneNoResponse
	var p event.Payload = event.PhoneUnregistered{Cause: cause}
	if reachable {
		p = event.PhoneRegistered{Cause: cause}
	}
	c.emit(event.Ref{Agent: agentID}, p)
	c.dispatch()
}

// PhoneNoResponse is the cause of a phone that is registered but does
// not answer OPTIONS.
const PhoneNoResponse = "no-response"

// Waiting lists the callers waiting in a queue, longest first. The list
// is shared by every reader until the queue's list changes: readers must
// not change it or its Waiters.
func (c *Center) Waiting(queueName string) ([]WaitingCaller, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, ok := c.queues[queueName]
	if !ok {
		return nil, ErrUnknownQueue
	}
	return q.readList(), nil
}

// WaitingCaller is one place in a queue's waiting list as its readers see
// it: who waits, and whether an offer of it is in progress.
type WaitingCaller struct {
	*Waiter
	Ringing bool
}

// Waiter is what does not change of a place in a waiting list: one is
// made per place, at the first read of the list after it joined, and is
// in every list read until it leaves.
type Waiter struct {
	CallID   string // the caller's Call-ID, or "callback-N"
	Caller   string // the caller's number
	Joined   time.Time
	Callback bool // a callback request keeping the caller's place

	encoded atomic.Pointer[[]byte] // see Encoded
}

// Encoded is encode's bytes for the Waiter, made at the first call and
// kept for the place's life, so that a list of thousands read again and
// again is not encoded again and again. There is one encoding per place:
// every caller passes the same encode (the API's JSON of the place's
// unchanging fields), which must read only the fields above. An error is
// returned, not kept.
func (w *Waiter) Encoded(encode func(*Waiter) ([]byte, error)) ([]byte, error) {
	if b := w.encoded.Load(); b != nil {
		return *b, nil
	}
	b, err := encode(w)
	if err != nil {
		return nil, err
	}
	w.encoded.Store(&b) // two readers at once store the same bytes
	return b, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
