// Package acd is the automatic call distributor: queues of waiting callers,
// agents with one state machine each, and the distribution that rings an
// agent for a caller. One Center owns all of that state; every change goes
// through it and is appended, in order, to the event log.
package acd

import (
	"context"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/sip"
	"github.com/acdserver/acd/store"
)

// Caller is what a queue needs of a call waiting in it.
type Caller interface {
	ID() string
	// Caller is the caller's number.
	Caller() string
	// Play replaces what the caller hears; the channel closes when the
	// sound ends or is replaced.
	Play(snd *media.Sound, loop bool) <-chan struct{}
	Digits() <-chan rune
	// Done closes when the call has ended.
	Done() <-chan struct{}
	// The phones bridge the call to an agent's leg.
	sip.Bridger
}

// Leg is an agent's answered phone call.
type Leg interface {
	Done() <-chan struct{}
	Hangup(reason hangup.Reason)
	// EndCause says why the leg ended, once it has: the phone hung up,
	// it sent no RTP, its session expired…
	EndCause() hangup.Cause
	// OnTransfer sets who decides the phone's blind transfers: decide
	// gets the target and accepts or refuses it.
	OnTransfer(decide func(to string) sip.TransferAnswer)
	// Play replaces what the agent hears until the leg is bridged; the
	// channel closes when the sound ends or is replaced.
	Play(snd *media.Sound, loop bool) <-chan struct{}
	// The phones bridge the leg to a caller or another leg.
	sip.Bridger
}

// Party is who a call is shown as: a number and a display name.
type Party struct {
	Number, Name string
}

// Phones reaches agents' phones and the outside world: the SIP side
// implements it. A failed Ring or Dial returns an error that may have a
// Cause() string method naming its RingCause (busy, no-answer, declined,
// unreachable, no-response), from the phone's final SIP status.
type Phones interface {
	// Ring calls the agent's phone showing who is calling until it answers
	// or ctx ends; an error means no answer, a rejection, or no phone.
	Ring(ctx context.Context, agent string, show Party) (Leg, error)
	// Dial calls number through a trunk, presenting callerID, until it
	// answers or ctx ends.
	Dial(ctx context.Context, trunk, number, callerID string) (Leg, error)
	// Bridge connects a caller and an answered leg; hold is what either
	// side hears while the other holds. It fails for a call or leg the
	// phones cannot bridge.
	Bridge(c Caller, l Leg, hold *media.Sound) error
	// BridgeLegs connects two answered legs (an agent and a customer).
	BridgeLegs(a, b Leg, hold *media.Sound) error
	// Registered reports whether the agent's phone can be reached.
	Registered(agent string) bool
}

// Callbacks keeps callback requests durably (package store).
type Callbacks interface {
	Request(ctx context.Context, r store.CallbackRequest) (store.CallbackRequest, bool, error)
	Update(ctx context.Context, r store.CallbackRequest) error
	Open(ctx context.Context, queue string) ([]store.CallbackRequest, error)
}

// Sounds finds a prompt by name.
type Sounds interface {
	Get(name string) *media.Sound
}

// Actor is who acts on an agent (package event).
type Actor = event.Actor

// EventLog is where every state change is appended, in order.
type EventLog interface {
	Append(store.Event)
	// Flush returns once everything appended is committed.
	Flush(ctx context.Context) error
}

// Outcome is how a caller left a queue.
type Outcome int

// The ways a caller leaves a queue.
const (
	Timeout     Outcome = iota // nobody answered within the dial plan's timeout
	Exit                       // the caller pressed *
	Hangup                     // the caller hung up while waiting
	Answered                   // an agent took the call; it has ended since
	CalledBack                 // the caller asked to be called back and was told so
	Transferred                // the agent transferred the caller: see Result.Transfer
)

func (o Outcome) String() string {
	return [...]string{"timeout", "exit", "hangup", "answered", "callback", "transferred"}[o]
}

// Result is how a caller's wait in a queue, or its direct call to an
// agent, ended.
type Result struct {
	Outcome Outcome
	// Talk is how long the caller was bridged to the agent.
	Talk time.Duration
	// Transfer is where the agent sent the caller, when Outcome is
	// Transferred.
	Transfer Transfer
}
