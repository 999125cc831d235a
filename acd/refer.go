package acd

import (
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/sip"
)

// Transfer is where an agent's phone sent its caller, by a blind
// transfer (SIP REFER): a queue by its extension, another agent, or a
// number the dial plan routes. Nothing else is accepted, so that no
// transfer can reach a trunk (toll fraud).
type Transfer struct {
	To    string // the target as the phone named it
	Queue string // the queue whose extension To is
	Agent string // the agent To is
	// Neither Queue nor Agent: To is a number in numbers.
}

func (t Transfer) kind() string {
	switch {
	case t.Queue != "":
		return "queue"
	case t.Agent != "":
		return "agent"
	}
	return "number"
}

// Handoff is one bridged call's transfer, if its agent made one; guarded
// by Center.mu.
type Handoff struct {
	transfer *Transfer
}

// Transferred says where the agent of a bridged call sent its caller, if
// it did: read once the agent's leg has ended.
func (c *Center) Transferred(h *Handoff) (Transfer, bool) {
	if h == nil {
		return Transfer{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.transfer == nil {
		return Transfer{}, false
	}
	return *h.transfer, true
}

// allowTransfer lets the agent on leg transfer the caller of callID
// (queue is "" for a direct call to the agent); c.mu is held. What was
// decided is in the handoff once the leg has ended.
func (c *Center) allowTransfer(leg Leg, ref event.Ref, a *agent) *Handoff {
	callID, queue := ref.Call, ref.Queue
	ref.Agent = a.id
	h := &Handoff{}
	leg.OnTransfer(func(to string) sip.TransferAnswer {
		c.mu.Lock()
		defer c.mu.Unlock()
		if h.transfer != nil {
			return sip.TransferPending
		}
		t, answer := c.resolveTransferLocked(a.id, to)
		log := c.log.With("call_id", callID, "queue", queue, "agent", a.id)
		if answer != sip.TransferAccepted {
			log.Info("transfer refused", "to", to, "status", answer.Status())
			c.emit(ref, event.TransferRefused{To: to, Status: answer.Status()})
			return answer
		}
		h.transfer = &t
		log.Info("caller transferred", "to", to, "target", t.kind())
		c.emit(ref, event.CallTransferred{To: to, Target: t.kind(), ToQueue: t.Queue})
		return sip.TransferAccepted
	})
	return h
}

// resolveTransferLocked decides where agent from may send a caller; c.mu
// is held. It accepts with the target, or refuses: forbidden for what is
// not a queue extension, an agent or a number of the dial plan (an
// outside number above all), unavailable for an agent who cannot take
// the call now.
func (c *Center) resolveTransferLocked(from, to string) (Transfer, sip.TransferAnswer) {
	for _, q := range c.queues {
		if q.cfg.Extension != "" && q.cfg.Extension == to {
			return Transfer{To: to, Queue: q.name}, sip.TransferAccepted
		}
	}
	if a, ok := c.agents[to]; ok {
		if to == from {
			return Transfer{}, sip.TransferForbidden
		}
		if a.state != Ready || !c.phones.Registered(a.id) {
			return Transfer{}, sip.TransferUnavailable
		}
		return Transfer{To: to, Agent: to}, sip.TransferAccepted
	}
	if _, _, ok := c.planNumbers.Route(to); ok {
		return Transfer{To: to}, sip.TransferAccepted
	}
	return Transfer{}, sip.TransferForbidden
}
