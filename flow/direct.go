package flow

import (
	"context"
	"errors"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
)

// RingAgent rings one agent directly for a caller (a dial plan's transfer
// node) and bridges them on answer; the caller hears hold music while it
// rings. An agent who is not ready, or not reachable, or does not answer
// within timeout gives Timeout. No queue is involved, so no wrap-up
// follows.
func (f *Flows) RingAgent(ctx context.Context, ch acd.Channel, agent string, timeout time.Duration) (acd.Result, error) {
	in := &acd.Interaction{ID: ch.ID(), Kind: acd.Voice, Party: ch.Party()}
	o, err := f.core.OfferDirect(ctx, in, agent, timeout)
	if errors.Is(err, acd.ErrAgentUnavailable) {
		return acd.Result{Outcome: acd.Timeout}, nil
	}
	if err != nil {
		return acd.Result{Outcome: acd.Timeout}, err
	}
	music := f.sounds.Get("hold-music")
	ch.Play(music, true)
	leg, err := f.ringDirect(o, ch)
	var h *acd.Handoff
	if err == nil {
		var ok bool
		if ok, h = f.core.DirectAnswered(o, leg); !ok {
			// The agent logged out as the phone answered.
			leg.Hangup(hangup.AgentLoggedOut)
			err = context.Canceled
		}
	}
	if err != nil {
		f.core.DirectFailed(o, acd.RingCauseOf(err))
		select {
		case <-ch.Done():
			return acd.Result{Outcome: acd.Hangup}, nil
		default:
			return acd.Result{Outcome: acd.Timeout}, nil
		}
	}
	if err := f.phones.Bridge(ch, leg, music); err != nil {
		f.unbridged(leg, f.log.With("call_id", in.ID, "agent", agent), err)
	}
	notLive := f.onLive(Live{Interaction: in, Agent: agent, Customer: ch, AgentLeg: leg})
	since := time.Now()

	ended := event.CallEnded{EndedBy: "caller"}
	select {
	case <-ch.Done():
	case <-ctx.Done():
		ended.EndedBy = "server"
	case <-leg.Done():
		ended = event.CallEnded{EndedBy: "agent", Reason: leg.EndCause().String()}
	}
	if ended.EndedBy != "agent" {
		leg.Hangup(hangup.CallOver)
	}
	notLive()
	talk := time.Since(since)
	f.core.DirectEnded(o, ended, talk)
	if t, ok := f.core.Transferred(h); ok && ended.EndedBy == "agent" {
		return acd.Result{Outcome: acd.Transferred, Talk: talk, Transfer: t}, nil
	}
	return acd.Result{Outcome: acd.Answered, Talk: talk}, nil
}

// ringDirect rings the offered agent until it answers, the offer ends,
// or the caller hangs up.
func (f *Flows) ringDirect(o *acd.Offer, ch acd.Channel) (acd.Leg, error) {
	ctx, stop := context.WithCancel(o.Rings[0].Ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ch.Done():
			stop()
		case <-ctx.Done():
		}
	}()
	leg, err := f.phones.Ring(ctx, o.Rings[0].Agent, o.Show)
	stop()
	<-watched
	return leg, err
}
