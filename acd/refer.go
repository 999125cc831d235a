package acd

import (
	"github.com/acdserver/acd/event"
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

// handoff is one bridged call's transfer, if its agent made one; guarded
// by Center.mu.
type handoff struct {
	transfer *Transfer
}

// allowTransfer lets the agent on leg transfer the caller of callID
// (queue is "" for a direct call to the agent); c.mu is held. What was
// decided is in the handoff once the leg has ended.
func (c *Center) allowTransfer(leg Leg, ref event.Ref, a *agent) *handoff {
	callID, queue := ref.Call, ref.Queue
	ref.Agent = a.id
	h := &handoff{}
	leg.OnTransfer(func(to string) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		if h.transfer != nil {
			return 491
		}
		t, code := c.resolveTransferLocked(a.id, to)
		log := c.log.With("call_id", callID, "queue", queue, "agent", a.id)
		if code != 202 {
			log.Info("transfer refused", "to", to, "status", code)
			c.emit(ref, event.TransferRefused{To: to, Status: code})
			return code
		}
		h.transfer = &t
		log.Info("caller transferred", "to", to, "target", t.kind())
		c.emit(ref, event.CallTransferred{To: to, Target: t.kind(), ToQueue: t.Queue})
		return 202
	})
	return h
}

// resolveTransferLocked decides where agent from may send a caller; c.mu
// is held. It returns 202 with the target, or the SIP status refusing it:
// 403 for what is not a queue extension, an agent or a number of the dial
// plan (an outside number above all), 480 for an agent who cannot take
// the call now.
func (c *Center) resolveTransferLocked(from, to string) (Transfer, int) {
	for _, q := range c.queues {
		if q.cfg.Extension != "" && q.cfg.Extension == to {
			return Transfer{To: to, Queue: q.name}, 202
		}
	}
	if a, ok := c.agents[to]; ok {
		if to == from {
			return Transfer{}, 403
		}
		if a.state != Ready || !c.phones.Registered(a.id) {
			return Transfer{}, 480
		}
		return Transfer{To: to, Agent: to}, 202
	}
	if _, _, ok := c.planNumbers.Route(to); ok {
		return Transfer{To: to}, 202
	}
	return Transfer{}, 403
}
