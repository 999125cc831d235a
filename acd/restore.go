package acd

import (
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// RestoreAgents puts agents back as the event log last saw them, at
// start: the queues they were logged in to, and paused (with the reason,
// when it is still an enabled one) or, whatever else they were doing, ready:
// no call survives a restart. Agents and queues the configuration no
// longer has are skipped. history is store.Log.AgentHistory's. Each
// change is recorded, by the system, with the cause "restored".
func (c *Center) RestoreAgents(history []store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	type was struct {
		queues map[string]bool
		state  *event.AgentState
	}
	seen := map[string]*was{}
	for _, e := range history {
		if _, ok := c.agents[e.Agent]; !ok {
			continue
		}
		w := seen[e.Agent]
		if w == nil {
			w = &was{queues: map[string]bool{}}
			seen[e.Agent] = w
		}
		switch e.Type {
		case "agent.logged_in":
			w.queues[e.Queue] = true
		case "agent.logged_out":
			delete(w.queues, e.Queue)
		case "agent.state":
			if p, err := event.Decode(e); err == nil {
				st := p.(event.AgentState)
				w.state = &st
			}
		}
	}
	by := event.System()
	for _, id := range c.agentOrder {
		w := seen[id]
		if w == nil || (w.state != nil && w.state.To == LoggedOut.String()) {
			continue
		}
		a := c.agents[id]
		for _, q := range sortedKeys(w.queues) {
			if _, ok := c.queues[q]; ok {
				c.joinQueue(a, q, by)
			}
		}
		if len(a.queues) == 0 {
			continue
		}
		if w.state != nil && w.state.To == Paused.String() {
			reason, _ := c.reasons.find(w.state.Reason)
			c.move(a, Paused, change{cause: "restored", by: by, reason: reason})
		} else {
			c.move(a, Ready, change{cause: "restored", by: by})
		}
		c.log.Info("agent restored", "agent", id, "state", a.state.String(), "reason", a.reason, "queues", sortedKeys(a.queues))
	}
	c.dispatch()
}
