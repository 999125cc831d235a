package flow

import (
	"log/slog"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
)

// Offer carries out one of the core's offers: called with the core's
// lock held, it starts the ring on a goroutine the Flows own.
func (f *Flows) Offer(o *acd.Offer) {
	var w *waiter
	if o.Interaction.Kind == acd.Voice {
		f.mu.Lock()
		w = f.waiters[o.Interaction]
		f.mu.Unlock()
	}
	f.spawn(func() { f.ring(o, w) })
}

type ringResult struct {
	agent string
	leg   acd.Leg
	err   error
}

// ring calls the offered agents' phones at once. The first to answer
// wins (the core decides, against the caller leaving) and every other
// ring is stopped; one that answers a moment late is hung up: a caller
// is never given to two agents.
func (f *Flows) ring(o *acd.Offer, w *waiter) {
	results := make(chan ringResult, len(o.Rings))
	for _, r := range o.Rings {
		// Each sends one result, which the loop below waits for.
		go func() {
			leg, err := f.phones.Ring(r.Ctx, r.Agent, o.Show)
			results <- ringResult{r.Agent, leg, err}
		}()
	}
	for range o.Rings {
		r := <-results
		if r.err != nil {
			f.core.Miss(o, r.agent, acd.RingCauseOf(r.err))
			continue
		}
		won, h := f.core.Answer(o, r.agent, r.leg)
		switch {
		case !won:
			r.leg.Hangup(hangup.TakenElsewhere)
			f.core.Release(o, r.agent)
		case o.Interaction.Kind == acd.Callback:
			f.spawn(func() { f.callback(o, r.agent, r.leg) })
		default:
			f.connect(o, w, r.agent, r.leg, h)
		}
	}
	f.core.RingsOver(o)
}

// connect bridges a waiting caller to the agent whose answer won it.
func (f *Flows) connect(o *acd.Offer, w *waiter, agent string, leg acd.Leg, h *acd.Handoff) {
	if err := f.phones.Bridge(w.ch, leg, f.sounds.Get(o.Hold)); err != nil {
		f.unbridged(leg, f.log.With("call_id", o.Interaction.ID, "queue", o.Interaction.Queue, "agent", agent), err)
	}
	ended := f.onLive(Live{Interaction: o.Interaction, Agent: agent, Customer: w.ch, AgentLeg: leg})
	w.answered <- answered{leg: leg, handoff: h}
	since := time.Now()
	f.spawn(func() { f.onCall(o, w, agent, leg, since, ended) })
}

// unbridged ends a leg the phones could not bridge, which would leave
// both sides in silence: the call then ends as any other does. The BYE
// goes from a goroutine of its own, so that it does not hold up the
// rest of the ring.
func (f *Flows) unbridged(leg acd.Leg, log *slog.Logger, err error) {
	log.Error("bridging the call failed; hanging up the leg", "error", err)
	f.spawn(func() { leg.Hangup(hangup.BridgeFailed) })
}

// onCall waits for the bridged call to end, then tells the core; the
// call is no longer live (notLive) by then.
func (f *Flows) onCall(o *acd.Offer, w *waiter, agent string, leg acd.Leg, since time.Time, notLive func()) {
	ended := endedBy(w.ch.Done(), leg)
	notLive()
	// Counted before the agent's leg is hung up, which may take a dead
	// phone's 32 s: the caller's record must not wait for it.
	talk := time.Since(since)
	w.talk = talk
	close(w.talked)
	if ended.EndedBy == "caller" {
		// Not otherwise: a leg ending by itself may still be waiting on
		// its BYE to a dead phone, and Hangup would wait with it.
		leg.Hangup(hangup.CallerLeft)
	}
	f.core.CallEnded(o, agent, ended, talk)
}

// endedBy waits for a caller (done) or an agent's leg to end and says
// which did, and why when it was the agent's side.
func endedBy(done <-chan struct{}, leg acd.Leg) event.CallEnded {
	select {
	case <-done:
		return event.CallEnded{EndedBy: "caller"}
	case <-leg.Done():
		return event.CallEnded{EndedBy: "agent", Reason: leg.EndCause().String()}
	}
}
