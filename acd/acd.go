// Package acd is the automatic call distributor's core: queues of waiting
// interactions, agents with one state machine each, and the distribution
// that decides which agents to ring for whom. One Center owns all of that
// state; every change goes through it and is appended, in order, to the
// event log. The core never waits on a phone: it hands out offers (ring
// these agents for this interaction) and takes back facts (an agent
// answered, missed, the caller left, the call ended), each one decision
// under its lock. Package flow holds the workflows that talk to phones.
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

// Party is who a call is shown as: a number and a display name. It is
// the SIP side's own description of a caller, so that no copy is made
// between the two.
type Party = sip.Caller

// Channel is one side of a conversation the server holds: an inbound
// call, or a leg placed to an agent's phone or a customer.
type Channel interface {
	// ID is the channel's SIP Call-ID.
	ID() string
	// Party is who is at the other end: the caller's number and name.
	Party() Party
	// Play replaces what the far end hears; the channel closes when the
	// sound ends or is replaced.
	Play(snd *media.Sound, loop bool) <-chan struct{}
	Digits() <-chan rune
	// Done closes when the channel has ended.
	Done() <-chan struct{}
	// Hangup ends it from our side, for reason.
	Hangup(reason hangup.Reason)
	// EndCause says why it ended, once it has: the far end hung up, it
	// sent no RTP, its session expired…
	EndCause() hangup.Cause
	// The phones bridge it to another channel.
	sip.Bridger
}

// Leg is a channel the server placed: an agent's answered phone, or a
// customer's through a trunk.
type Leg interface {
	Channel
	// OnTransfer sets who decides the phone's blind transfers: decide
	// gets the target and accepts or refuses it.
	OnTransfer(decide func(to string) sip.TransferAnswer)
}

// Registrar says whether an agent's phone can be reached now: the SIP
// side's registrations and OPTIONS.
type Registrar interface {
	Registered(agent string) bool
}

// Callbacks keeps callback requests durably (package store).
type Callbacks interface {
	Request(ctx context.Context, r store.CallbackRequest) (store.CallbackRequest, bool, error)
	Update(ctx context.Context, r store.CallbackRequest) error
	Open(ctx context.Context, queue string) ([]store.CallbackRequest, error)
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
