// Package flow holds the distributor's workflows that talk to phones: a
// caller waiting in a queue, the ringing of the agents the core offers
// it to, the bridge and the call until it ends, a direct ring of one
// agent, and a callback's dial of the customer. Each blocks on phones,
// never on the core's lock: it tells the core (package acd) what
// happened, fact by fact, and the core decides.
package flow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/sip"
)

// Phones reaches agents' phones and the outside world: the SIP side
// implements it. A failed Ring or Dial returns an error whose cause
// acd.RingCauseOf reads.
type Phones interface {
	// Ring calls the agent's phone showing who is calling until it answers
	// or ctx ends; an error means no answer, a rejection, or no phone.
	Ring(ctx context.Context, agent string, show acd.Party) (acd.Leg, error)
	// Dial calls number through a trunk, presenting callerID, until it
	// answers or ctx ends.
	Dial(ctx context.Context, trunk, number, callerID string) (acd.Leg, error)
	// Bridge connects a caller and an answered leg; hold is what either
	// side hears while the other holds. It fails for a call or leg the
	// phones cannot bridge.
	Bridge(c acd.Channel, l acd.Leg, hold *media.Sound) error
	// BridgeLegs connects two answered legs (an agent and a customer).
	BridgeLegs(a, b acd.Leg, hold *media.Sound) error
	// ConferenceOf is the conference a bridged call or leg is in, which
	// its bridge becomes when first asked.
	ConferenceOf(p sip.Bridger) (Room, error)
	// Registered reports whether the agent's phone can be reached.
	Registered(agent string) bool
}

// Sounds finds a prompt by name.
type Sounds interface {
	Get(name string) *media.Sound
}

// Flows runs the distributor's workflows over its core, and owns their
// goroutines: Close stops the core and waits for them.
type Flows struct {
	core   *acd.Center
	phones Phones
	sounds Sounds
	events acd.EventLog
	log    *slog.Logger

	// mu guards waiters, live and closed. It is taken with the core's lock
	// held (in Offer), never the other way round.
	mu sync.Mutex
	// waiters are the callers waiting in a queue, by their interaction:
	// the ring of an offer finds there the call to bridge.
	waiters map[*acd.Interaction]*waiter
	// live are the calls agents are on, by agent: monitoring and
	// recording find them there.
	live map[string]*Live
	// liveGrew is closed, and replaced, each time a call becomes live:
	// what waits for one (a test) wakes then.
	liveGrew chan struct{}
	// recorder hears of calls bridged and unbridged (record.go); set
	// before the first call, then only read.
	recorder Recorder
	closed   bool
	// work counts the flows' goroutines (rings, calls, callbacks) for
	// Close; Add is called with mu held and closed false.
	work sync.WaitGroup
	// monitors are the supervisors' monitoring sessions: see Monitor.
	monitors monitors
}

// New builds the distributor for a configuration: its core, whose offers
// the flows carry out, and the flows. callbacks may be nil when no queue
// offers callback.
func New(cfg *config.Config, phones Phones, sounds Sounds, events acd.EventLog, callbacks acd.Callbacks, log *slog.Logger) *Flows {
	f := &Flows{phones: phones, sounds: sounds, events: events, log: log, monitors: newMonitors(), waiters: map[*acd.Interaction]*waiter{}, live: map[string]*Live{}, liveGrew: make(chan struct{})}
	f.core = acd.NewCenter(cfg, phones, events, callbacks, f, log)
	return f
}

// Core is the distributor's core: agents, queues, their state.
func (f *Flows) Core() *acd.Center { return f.core }

// spawn runs fn on a goroutine the Flows own. Once closed (the server
// is stopping, every call already hung up), fn runs on the caller's.
func (f *Flows) spawn(fn func()) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		fn()
		return
	}
	f.work.Add(1)
	f.mu.Unlock()
	go func() {
		defer f.work.Done()
		fn()
	}()
}

// Close stops the distributor at shutdown, once the SIP side has hung up
// every call: the core offers nothing more and ends every ring and wait,
// and Close waits, up to ctx, for the flows' goroutines to finish, so
// that nothing is appended to the event log after it returns.
func (f *Flows) Close(ctx context.Context) error {
	f.core.Close()
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.monitors.close()
	done := make(chan struct{})
	go func() {
		f.work.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("distributor: calls still winding down at shutdown: %w", ctx.Err())
	}
}
