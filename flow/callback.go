package flow

import (
	"context"
	"errors"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
)

// errNotDialable is an attempt the core refused to dial.
var errNotDialable = errors.New("the number may not be dialled")

// callback runs once an agent has answered a callback request's offer:
// the customer is dialled through the trunk with the queue's caller ID
// and, on answer, bridged to the agent. The core decides whether a failed
// attempt is retried.
func (f *Flows) callback(o *acd.Offer, agent string, agentLeg acd.Leg) {
	d := f.core.CallbackDialing(o, agent)
	log := f.log.With("call_id", o.Interaction.ID, "queue", o.Interaction.Queue, "agent", agent, "request", d.Request)
	log.Info("calling the customer back", "attempt", d.Attempt)
	// The agent hears what is happening while the customer's phone is
	// dialled, not silence.
	agentLeg.Play(f.sounds.Get("callback-dialing"), true)

	customer, cause, err := f.dialCustomer(d, agentLeg)
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
			cause = hangup.RingAgentHungUp
		default:
			// Tell the agent, then free them; the request waits for its
			// next attempt in its place.
			select {
			case <-agentLeg.Play(f.sounds.Get("callback-unreachable"), false):
			case <-agentLeg.Done():
			case <-time.After(15 * time.Second):
			}
			agentLeg.Hangup(hangup.CustomerUnreachable)
		}
		log.Info("callback attempt failed", "attempt", d.Attempt, "cause", cause.String(), "error", err)
		f.core.CallbackFailed(o, agent, cause)
		return
	}
	if err := f.phones.BridgeLegs(agentLeg, customer, f.sounds.Get(o.Hold)); err != nil {
		f.unbridged(customer, log, err)
		f.unbridged(agentLeg, log, err)
	}
	notLive := f.onLive(Live{Interaction: o.Interaction, Agent: agent, Customer: customer, AgentLeg: agentLeg})
	since := time.Now()
	f.core.CallbackConnected(o, agent)
	log.Info("callback connected")
	// Whichever side ended, the bridge hangs up the other.
	ended := endedBy(customer.Done(), agentLeg)
	notLive()
	if ended.EndedBy == "caller" {
		ended = event.CallEnded{EndedBy: "customer", Reason: customer.EndCause().String()}
	}
	f.core.CallbackCompleted(o, agent, ended, time.Since(since))
}

// dialCustomer dials the attempt's number, for at most its timeout, and
// gives up at once when the agent hangs up: the agent is not kept waiting
// on a customer who does not answer.
func (f *Flows) dialCustomer(d acd.Dial, agentLeg acd.Leg) (acd.Leg, hangup.RingCause, error) {
	if d.Number == "" {
		return nil, hangup.RingNotDialable, errNotDialable
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-agentLeg.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	customer, err := f.phones.Dial(ctx, d.Trunk, d.Number, d.CallerID)
	cancel() // also ends the watch above
	<-watched
	return customer, acd.RingCauseOf(err), err
}
